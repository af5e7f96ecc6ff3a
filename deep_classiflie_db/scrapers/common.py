"""Small pure helpers the live scrapers share: dates, statement types, watermarks."""

from __future__ import annotations

import datetime as dt
import re

from deep_classiflie_db.ingest.records import StatementRecord, to_naive_utc

_NON_WORD = re.compile(r"[^a-z0-9]+")
_TWEET_WORDS = {"tweet", "twitter", "retweet"}


def parse_when(value: object) -> dt.datetime | None:
    """A naive-UTC datetime from an ISO-8601 string, a date string or a datetime; None when unreadable."""
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        try:
            when = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return to_naive_utc(when)


def statement_type_of(label: object, *, default: str) -> str:
    """A store ``statement_type`` from a source's wording: ``"Press Conference"`` → ``press_conference``."""
    if not isinstance(label, str):
        return default
    slug = _NON_WORD.sub("_", label.strip().lower()).strip("_")
    if not slug:
        return default
    if slug in _TWEET_WORDS:
        return "tweet"
    return slug[:32]


def date_watermark(when: dt.datetime) -> str:
    """A watermark that sorts as text in time order (fixed-width ISO-8601)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def statement_date_watermark(record: StatementRecord) -> str | None:
    """The newest statement date read is the watermark (the claim and transcript scrapers)."""
    return date_watermark(record.statement_date) if record.statement_date else None


def id_watermark(tweet_id: int | str) -> str:
    """A numeric id as a watermark that sorts as text in numeric order (zero-padded to 20 digits)."""
    return f"{int(tweet_id):020d}"
