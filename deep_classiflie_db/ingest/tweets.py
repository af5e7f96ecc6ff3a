"""Tweet streams: the Trump Twitter Archive's condensed JSON and the common CSV export (id,text,date,isRetweet).

Retweets (``is_retweet`` or text starting ``RT @``) are yielded flagged; the writer leaves them out when
``ingest.tweets.exclude_retweets`` is set. Threads are stitched by the original's rule: a tweet ending in
``..`` and the next one starting with ``..`` within ``stitch_latency_s`` make one statement.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest.readers import (
    bad_utf8,
    checked_rows,
    csv_rows,
    decode,
    header_index,
    parse_date,
    printable,
    read_header,
    twitter_date,
)
from deep_classiflie_db.ingest.records import Reject, StatementRecord, to_naive_utc

Item = StatementRecord | Reject


@dataclass(frozen=True, slots=True)
class Tweet:
    """One tweet as read, before stitching."""

    id: str
    text: str
    created_at: dt.datetime
    is_retweet: bool
    source_app: str | None = None


def is_retweet(text: str, flag: bool) -> bool:
    """A retweet by flag, or by the manual ``RT @user`` form that early archives do not flag."""
    return flag or text.lstrip().startswith("RT @")


def stitch(tweets: Iterable[Tweet], *, latency_s: int, enabled: bool = True) -> Iterator[list[Tweet]]:
    """Group tweets into statements, oldest first: a thread is a run of ``..``-joined tweets.

    1) sort by time (then id); retweets are never stitched and stand alone;
    2) a tweet joins the open thread when the thread's last tweet ends with ``..``, this one starts
       with ``..`` and it was posted at most ``latency_s`` seconds later;
    3) otherwise the open thread is emitted and this tweet opens a new one.
    """
    thread: list[Tweet] = []
    for tw in sorted(tweets, key=lambda t: (t.created_at, len(t.id), t.id)):
        if (
            enabled
            and thread
            and not tw.is_retweet
            and not thread[-1].is_retweet
            and thread[-1].text.rstrip().endswith("..")
            and tw.text.lstrip().startswith("..")
            and (tw.created_at - thread[-1].created_at).total_seconds() <= latency_s
        ):
            thread.append(tw)
            continue
        if thread:
            yield thread
        thread = [tw]
    if thread:
        yield thread


def join_thread(parts: list[Tweet]) -> str:
    """The thread's text: the joining dots dropped, parts separated by a space."""
    if len(parts) == 1:
        return parts[0].text
    texts = [p.text.strip() for p in parts]
    for i in range(len(texts)):
        if i > 0:
            texts[i] = texts[i].lstrip(".…").lstrip()
        if i < len(texts) - 1:
            texts[i] = texts[i].rstrip(".…").rstrip()
    return " ".join(t for t in texts if t)


def to_records(tweets: list[Tweet], *, config: IngestConfig) -> Iterator[StatementRecord]:
    """Stitch and turn tweets into statement records (the first tweet's id and time stand for a thread)."""
    cfg = config.tweets
    per_app: dict[str | None, dict[str, object] | None] = {None: None}  # one shared meta dict per client app
    for parts in stitch(tweets, latency_s=cfg.stitch_latency_s, enabled=cfg.stitch_threads):
        first = parts[0]
        app = first.source_app
        if app not in per_app:
            per_app[app] = {"source_app": app}
        meta = per_app[app]
        if len(parts) > 1:
            meta = {**(meta or {}), "thread": [p.id for p in parts]}
        yield StatementRecord(
            external_id=first.id,
            text=join_thread(parts),
            statement_date=first.created_at,
            statement_type="tweet",
            is_retweet=first.is_retweet,
            meta=meta,
            speaker=config.speaker,
        )


def read_condensed(data: bytes, *, name: str) -> tuple[list[Tweet], list[Reject]]:
    """Tweets and rejects of one ``condensed_YYYY.json`` file (a JSON array of tweet objects)."""
    try:
        items = json.loads(decode(data))
    except ValueError as exc:
        raise DataSourceError(
            f"{name} is not valid JSON: {exc}", hint="give the archive's condensed_YYYY.json files unchanged"
        ) from None
    if not isinstance(items, list):
        raise DataSourceError(f"{name} holds no JSON array of tweets", hint="give condensed_YYYY.json files")
    tweets: list[Tweet] = []
    rejects: list[Reject] = []
    for i, item in enumerate(items, 1):
        loc = f"{name}:[{i}]"
        if not isinstance(item, dict):
            rejects.append(Reject(loc, "not a JSON object", json.dumps(item)))
            continue
        tid, text, created = item.get("id_str"), item.get("text"), item.get("created_at")
        why = None
        when: dt.datetime | None = None
        if not isinstance(tid, str) or not tid.strip():
            why = "missing id_str"
        elif not isinstance(text, str) or not text.strip():
            why = "missing text"
        elif bad_utf8(text) or bad_utf8(tid):
            why = "invalid UTF-8"
        elif not isinstance(created, str) or (when := twitter_date(created)) is None:
            why = f"unparseable created_at {created!r}"
        if why is not None or not isinstance(tid, str) or not isinstance(text, str) or when is None:
            rejects.append(Reject(loc, why or "invalid tweet", json.dumps(item)))
            continue
        app = item.get("source")
        tweets.append(
            Tweet(tid.strip(), text, when, is_retweet(text, item.get("is_retweet") is True), app if app else None)
        )
    return tweets, rejects


def parse_tweets(files: Iterable[tuple[str, bytes]], *, config: IngestConfig) -> Iterator[Item]:
    """All ``condensed_YYYY.json`` files together (threads cross year boundaries); rejects come first.

    Every file is read before anything is yielded, so a malformed file fails the run before it writes.
    """
    tweets: list[Tweet] = []
    rejects: list[Reject] = []
    for name, data in files:
        got, bad = read_condensed(data, name=name)
        tweets.extend(got)
        rejects.extend(bad)
    yield from rejects
    yield from to_records(tweets, config=config)


_CSV_COLUMNS = {
    "id": ("id", "id_str"),
    "text": ("text",),
    "date": ("date", "created_at"),
    "rt": ("isretweet", "is_retweet"),
}


def parse_tweets_csv(data: bytes, *, config: IngestConfig, name: str = "tweets.csv") -> Iterator[Item]:
    """The common archive CSV (``id,text,date,isRetweet`` plus any other columns, in any order)."""
    rows = csv_rows(decode(data), name=name)
    header_fields, _ = read_header(rows, name, (), fix="give a CSV with id,text,date,isRetweet")
    header = [h.strip().lower() for h in header_fields]
    col: dict[str, int] = {}
    for key, names in _CSV_COLUMNS.items():
        found = next((n for n in names if n in header), None)
        if found is None and key != "rt":
            header_index(header, [names[0]], name=name, fix="give a CSV with id,text,date,isRetweet columns")
        if found is not None:
            col[key] = header.index(found)
    tweets: list[Tweet] = []
    rejects: list[Reject] = []
    for _, loc, raw, row in checked_rows(rows, name=name, width=len(header)):
        if isinstance(row, Reject):
            rejects.append(row)
            continue
        tid, text, date = row[col["id"]].strip(), row[col["text"]], row[col["date"]].strip()
        when = parse_date(date) if date[:1].isdigit() else twitter_date(date)
        if not tid:
            rejects.append(Reject(loc, "missing id", printable(raw)))
        elif not text.strip():
            rejects.append(Reject(loc, "missing text", raw))
        elif when is None:
            rejects.append(Reject(loc, f"unparseable date {date!r}", raw))
        else:
            flag = "rt" in col and row[col["rt"]].strip().lower() in ("true", "t", "1", "yes")
            tweets.append(Tweet(tid, text, to_naive_utc(when), is_retweet(text, flag)))
    yield from rejects
    yield from to_records(tweets, config=config)
