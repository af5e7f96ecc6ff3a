"""Hypothesis: every parser turns any input into records, rejects and skips, or one clear DataSourceError.

Never another exception, never a silent drop: for row formats, each written row comes back as exactly one
record or reject (tweet threads count their parts).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deep_classiflie.config.ingest import GenericLabelsConfig, IngestConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest import benchmarks, labels, transcripts, tweets
from deep_classiflie_db.ingest.pipeline import Reject, Skip, StatementRecord

CFG = IngestConfig(generic_labels=GenericLabelsConfig(label_column="rating"))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ROW_PARSERS: dict[str, tuple[Callable[..., Iterator[Any]], list[str]]] = {
    "toronto_star": (
        labels.parse_toronto_star,
        ["number", "date", "place", "claim", "infact", "source", "placecategory"],
    ),
    "cnn": (labels.parse_cnn, ["date", "forum", "kind_of_forum", "claim", "fact_check", "source_article"]),
    "generic_labels": (labels.parse_generic_labels, ["text", "date", "rating"]),
    "mediaeval": (benchmarks.parse_mediaeval, ["ID", "Text", "Label"]),
    "tweets_csv": (tweets.parse_tweets_csv, ["id", "text", "date", "isRetweet"]),
}
cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["7-7-2018", "2019-09-29", "2019-01-02 03:04:05", "1", "3", "false", "TWEET", "Twitter", "t"]),
)
rows = st.lists(st.lists(cell, min_size=1, max_size=9), max_size=12)


def written(header: list[str], body: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue()


def corrupt(text: str, junk: bytes, at: int) -> bytes:
    """Insert bytes that are invalid UTF-8 but never CSV structure (no quotes, delimiters or newlines).

    The header line stays intact: a broken header is (rightly) a DataSourceError, tested elsewhere.
    """
    data = text.encode("utf-8")
    start = data.index(b"\n") + 1
    if not junk or start >= len(data):
        return data
    cut = start + at % (len(data) - start)
    # not inside a multi-byte character, nor between the \r and \n of a line end, nor before the quote that
    # opens a field (junk there makes the quote literal, so a quoted line break would end the record)
    while cut < len(data) and (0x80 <= data[cut] < 0xC0 or data[cut - 1 : cut] == b"\r" or data[cut : cut + 1] == b'"'):
        cut += 1
    cut = min(cut, len(data) - 2)  # before the last line end: junk after it would be a row of its own
    return data[:cut] + junk + data[cut:]


def units(items: list[Any]) -> int:
    """Input rows an item stands for (a stitched thread stands for its parts)."""
    n = 0
    for item in items:
        assert isinstance(item, StatementRecord | Reject | Skip)
        meta = getattr(item, "meta", None) or {}
        n += len(meta["thread"]) if "thread" in meta else 1
    return n


@FAST
@given(
    name=st.sampled_from(sorted(ROW_PARSERS)),
    body=rows,
    junk=st.binary(min_size=0, max_size=3).map(lambda b: bytes(0x80 | x for x in b)),
    at=st.integers(0, 10_000),
)
def test_row_parsers_account_for_every_row(name: str, body: list[list[str]], junk: bytes, at: int) -> None:
    parse, header = ROW_PARSERS[name]
    junk = junk if body else b""  # with no rows, junk bytes would make one
    items = list(parse(corrupt(written(header, body), junk, at), config=CFG, name="f.csv"))
    # csv.writer writes an all-empty one-field row as '""', so every written row is a record
    assert units(items) == len(body)


@FAST
@given(
    body=st.lists(
        st.lists(
            st.text(
                alphabet=st.characters(
                    blacklist_categories=["Cs"], blacklist_characters="\t\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
                ),
                max_size=12,
            ),
            min_size=1,
            max_size=16,
        ),
        max_size=10,
    )
)
def test_liar_accounts_for_every_line(body: list[list[str]]) -> None:
    lines = ["\t".join(r) for r in body if "".join(r).strip()]
    data = "".join(line + "\n" for line in lines).encode()
    assert units(list(benchmarks.parse_liar(data, config=CFG))) == len(lines)


tweet_obj = st.fixed_dictionaries(
    {},
    optional={
        "id_str": st.one_of(st.text(max_size=5), st.integers()),
        "text": st.one_of(st.text(max_size=20), st.sampled_from(["a..", "..b", "RT @x y"]), st.none()),
        "created_at": st.sampled_from(
            ["Wed Oct 10 20:19:24 +0000 2018", "Wed Oct 10 20:21:24 +0000 2018", "Thu Xyz 99 +0000 2018", "x"]
        ),
        "is_retweet": st.booleans(),
    },
)


@FAST
@given(items=st.lists(st.one_of(tweet_obj, st.integers(), st.text(max_size=3)), max_size=15))
def test_tweets_json_accounts_for_every_tweet(items: list[Any]) -> None:
    got = list(tweets.parse_tweets([("c.json", json.dumps(items).encode())], config=CFG))
    assert units(got) == len(items)


PARSE_BYTES: list[Callable[[bytes], Iterator[Any]]] = [
    *(lambda d, p=p: p(d, config=CFG, name="f.csv") for p, _ in ROW_PARSERS.values()),
    lambda d: benchmarks.parse_liar(d, config=CFG),
    lambda d: benchmarks.parse_fakenewsnet([("politifact_fake.csv", d)], config=CFG),
    lambda d: tweets.parse_tweets([("c.json", d)], config=CFG),
    lambda d: labels.parse_generic_labels(d, config=IngestConfig(generic_labels=GenericLabelsConfig(format="json"))),
]


@FAST
@given(data=st.binary(max_size=300), which=st.integers(0, len(PARSE_BYTES) - 1))
def test_random_bytes_give_items_or_a_data_source_error(data: bytes, which: int) -> None:
    try:
        got = list(PARSE_BYTES[which](data))
    except DataSourceError:
        return
    units(got)


@FAST
@given(
    files=st.lists(
        st.tuples(
            st.sampled_from(
                ["BattleCreekDec19_2019.txt", "x.txt", "Trump_speech_1_January 19, 2021: Farewell.txt",
                 "2015-06-16 11.00.00 (Complete, As written) Speech, NY.txt", "2015-06-16 11.00.00 (Complete, As spoken) Speech, NY.txt",
                 "2017-07-24-speech-boy-scout-jamboree.txt"]
            ),
            st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)),
        ),
        max_size=5,
    ),
    which=st.sampled_from([transcripts.parse_campaign_corpus, transcripts.parse_rally_speeches, transcripts.parse_miller_center,
                           transcripts.parse_miller_2017_2018]),
)  # fmt: skip
def test_transcripts_report_every_file(files: list[tuple[str, bytes]], which: Callable[..., Iterator[Any]]) -> None:
    got = list(which(files, config=CFG))
    units(got)
    docs = {getattr(i, "location", None) or (i.meta or {}).get("doc") for i in got}
    located = {d.split("#")[0] for d in docs if d}
    assert {name for name, _ in files} <= located  # every file shows up as statements, skips or a reject
