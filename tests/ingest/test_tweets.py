"""Tweets: thread stitching, retweets, condensed JSON and CSV parsing, and the real archive's counts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest.pipeline import Reject, StatementRecord
from deep_classiflie_db.ingest.tweets import Tweet, join_thread, parse_tweets, parse_tweets_csv, stitch

CFG = IngestConfig()
T0 = dt.datetime(2019, 1, 1, 12)


def tw(i: int, text: str, minutes: float, rt: bool = False) -> Tweet:
    return Tweet(str(i), text, T0 + dt.timedelta(minutes=minutes), rt)


@pytest.mark.parametrize(
    ("tweets", "groups"),
    [
        pytest.param([tw(1, "a..", 0), tw(2, "..b", 5)], [["1", "2"]], id="joined-within-latency"),
        pytest.param([tw(1, "a..", 0), tw(2, "..b", 16)], [["1"], ["2"]], id="too-late"),
        pytest.param([tw(1, "a", 0), tw(2, "..b", 1)], [["1"], ["2"]], id="first-not-open"),
        pytest.param([tw(1, "a..", 0), tw(2, "b", 1)], [["1"], ["2"]], id="second-not-continuing"),
        pytest.param([tw(1, "a....", 0), tw(2, "...b..", 3), tw(3, "..c", 6)], [["1", "2", "3"]], id="chain"),
        pytest.param([tw(2, "..b", 5), tw(1, "a..", 0)], [["1", "2"]], id="sorted-by-time"),
        pytest.param([tw(1, "a..", 0), tw(2, "..b", 1, rt=True)], [["1"], ["2"]], id="retweet-never-stitched"),
    ],
)
def test_stitch(tweets: list[Tweet], groups: list[list[str]]) -> None:
    assert [[t.id for t in g] for g in stitch(tweets, latency_s=900)] == groups


def test_join_thread_drops_the_joining_dots() -> None:
    assert (
        join_thread([tw(1, "We will win....", 0), tw(2, "....and fast..", 1), tw(3, "..ok!", 2)])
        == "We will win and fast ok!"
    )


def condensed(*items: object) -> bytes:
    return json.dumps(list(items)).encode()


def test_parse_condensed_records_rejects_and_retweets() -> None:
    data = condensed(
        {"id_str": "1", "text": "Big news..", "created_at": "Wed Oct 10 20:19:24 +0000 2018", "is_retweet": False, "source": "Twitter for iPhone"},
        {"id_str": "2", "text": "..really big", "created_at": "Wed Oct 10 20:25:00 +0000 2018", "is_retweet": False, "source": "Twitter for iPhone"},
        {"id_str": "3", "text": "RT @fan: great", "created_at": "Wed Oct 10 21:00:00 +0000 2018", "is_retweet": False},
        {"id_str": "4", "text": "no date", "created_at": "yesterday"},
        {"id_str": "5", "created_at": "Wed Oct 10 21:00:00 +0000 2018"},
        "junk",
    )  # fmt: skip
    items = list(parse_tweets([("condensed_2018.json", data)], config=CFG))
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [(r.location, r.reason) for r in rejects] == [
        ("condensed_2018.json:[4]", "unparseable created_at 'yesterday'"),
        ("condensed_2018.json:[5]", "missing text"),
        ("condensed_2018.json:[6]", "not a JSON object"),
    ]
    recs = [i for i in items if isinstance(i, StatementRecord)]
    assert recs == [
        StatementRecord("1", "Big news really big", dt.datetime(2018, 10, 10, 20, 19, 24), "tweet",
                        meta={"source_app": "Twitter for iPhone", "thread": ["1", "2"]}, speaker="Donald Trump"),
        StatementRecord("3", "RT @fan: great", dt.datetime(2018, 10, 10, 21), "tweet", is_retweet=True,
                        speaker="Donald Trump"),
    ]  # fmt: skip


def test_stitching_can_be_switched_off() -> None:
    cfg = IngestConfig.model_validate({"tweets": {"stitch_threads": False}})
    data = condensed(
        {"id_str": "1", "text": "a..", "created_at": "Wed Oct 10 20:19:24 +0000 2018"},
        {"id_str": "2", "text": "..b", "created_at": "Wed Oct 10 20:20:24 +0000 2018"},
    )
    assert len(list(parse_tweets([("c.json", data)], config=cfg))) == 2


def test_bad_json_file_is_a_data_source_error() -> None:
    with pytest.raises(DataSourceError, match="not valid JSON"):
        list(parse_tweets([("c.json", b"[{")], config=CFG))
    with pytest.raises(DataSourceError, match="no JSON array"):
        list(parse_tweets([("c.json", b"{}")], config=CFG))


def test_parse_tweets_csv() -> None:
    data = (
        b"id,text,isRetweet,isDeleted,date\n"
        b"10,Hello &amp; welcome,f,f,2020-01-08 03:52:41\n"
        b"11,RT @x: hi,t,f,2020-01-08 04:00:00\n"
        b"12,,f,f,2020-01-08 04:00:00\n"
        b"13,text,f,f,someday\n"
    )
    items = list(parse_tweets_csv(data, config=CFG, name="tweets.csv"))
    assert [(r.location, r.reason) for r in items if isinstance(r, Reject)] == [
        ("tweets.csv:4", "missing text"),
        ("tweets.csv:5", "unparseable date 'someday'"),
    ]
    recs = [i for i in items if isinstance(i, StatementRecord)]
    assert [(r.external_id, r.text, r.statement_date, r.is_retweet) for r in recs] == [
        ("10", "Hello &amp; welcome", dt.datetime(2020, 1, 8, 3, 52, 41), False),
        ("11", "RT @x: hi", dt.datetime(2020, 1, 8, 4), True),
    ]
    with pytest.raises(DataSourceError, match="missing column"):
        list(parse_tweets_csv(b"id,body\n1,x\n", config=CFG))


@pytest.mark.shared_data
def test_real_archive_counts(shared_data: Path) -> None:
    folder = shared_data / "trump_tweets_condensed_2009_2019"
    files = [(p.name, p.read_bytes()) for p in sorted(folder.glob("condensed_*.json"))]
    items = list(parse_tweets(files, config=CFG))
    recs = [i for i in items if isinstance(i, StatementRecord)]
    parts = sum(len(r.meta["thread"]) if r.meta and "thread" in r.meta else 1 for r in recs)
    assert parts + sum(isinstance(i, Reject) for i in items) == 42_545  # every tweet accounted for
    assert len(recs) == 41_665  # 880 tweets joined into threads
    assert sum(r.is_retweet for r in recs) == 3_111  # flagged 3,086 + manual "RT @"
