"""Parsed records → batches of store-ready rows: the pure middle of an ingest run.

Per record: normalise the text, hash it, count its words; empty or invalid text becomes a reject, a
retweet is skipped when ``ingest.tweets.exclude_retweets`` is set. Every ``batch_size`` rows or rejects
make one :class:`Batch`, which also carries how many inputs it consumed, the skips by reason and the
running watermark, so the writer needs nothing else (it may even run in another process).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.core.text import normalise, text_hash
from deep_classiflie_db.ingest.records import Item, LabelRecord, Reject, StatementRecord, to_naive_utc

KEY_LEN = 191
TYPE_LEN = 32
_SURROGATE = re.compile("[\ud800-\udfff]")
# A label travels as a plain tuple (cheaper to pickle than the dataclass); labelled_at is naive UTC.
LABEL_FIELDS = ("rating_source", "source_label", "label_class", "correction", "url", "labelled_at")


def label_row(label: LabelRecord) -> tuple[Any, ...]:
    """The label as a :data:`LABEL_FIELDS` tuple."""
    return (
        label.rating_source,
        label.source_label,
        label.label_class,
        label.correction,
        label.url,
        to_naive_utc(label.labelled_at),
    )


@dataclass
class Batch:
    """Rows of one transaction: ``rows`` are (external_id, text, text_hash, date, type, words, retweet, meta).

    ``date`` is the stored text form (``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC) or None; ``meta`` is JSON.
    """

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    speakers: list[str | None] = field(default_factory=list)
    labels: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # external id → LABEL_FIELDS
    rejects: list[tuple[str, str, str | None]] = field(default_factory=list)
    read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    watermark: str | None = None

    def __len__(self) -> int:
        return len(self.rows) + len(self.rejects)


def prepare(
    record: StatementRecord, *, config: IngestConfig, meta_json: str | None = None
) -> tuple[tuple[Any, ...], None] | tuple[None, str]:
    """The statement row (source, speaker and run ids left as None) or the reason to reject the record.

    ``meta_json`` is the record's meta already encoded (the collector caches it for records sharing one dict).
    """
    row = _row(record, config, meta_json)
    if isinstance(row, str):
        return None, row
    ext, text, digest, _, kind, words, retweet, meta = row
    return (None, None, ext, text, digest, to_naive_utc(record.statement_date), kind, words, retweet, meta, None), None


def _row(record: StatementRecord, config: IngestConfig, meta_json: str | None) -> tuple[Any, ...] | str:
    """(external_id, text, text_hash, None, type, words, retweet, meta) or the reason to reject; the date is
    left for the caller (it caches the stored form per document)."""
    ext, kind = record.external_id, record.statement_type
    if not 0 < len(ext) <= KEY_LEN:
        return f"external id must have 1..{KEY_LEN} characters"
    if not 0 < len(kind) <= TYPE_LEN:
        return f"statement type must have 1..{TYPE_LEN} characters"
    rules = config.normalise
    text = normalise(record.text, rules)
    if not text:
        return "empty text after normalisation"
    if (not text.isascii() and _SURROGATE.search(text)) or (not ext.isascii() and _SURROGATE.search(ext)):
        return "invalid Unicode (lone surrogate)"
    if meta_json is None and record.meta:
        meta_json = json.dumps(record.meta)
    # collapsed whitespace leaves single spaces, so counting them counts the words (5x faster than split)
    words = text.count(" ") + 1 if rules.collapse_whitespace else len(text.split())
    return (ext, text, text_hash(text), None, kind, words, record.is_retweet, meta_json)


def collect(
    records: Iterable[Item],
    *,
    config: IngestConfig,
    where: str,
    watermark_of: Callable[[StatementRecord], str | None] | None = None,
) -> Iterator[Batch]:
    """Batches of ``records``; the last one may be short (and is yielded whenever anything was read).

    The watermark is the newest statement date (ISO text), or the newest ``watermark_of(record)``.
    """
    batch = Batch()
    size = config.batch_size
    n = 0  # rows + rejects in the batch
    newest: dt.datetime | None = None  # the default watermark, kept as a datetime until a batch is cut
    watermark: str | None = None
    meta_cache: dict[int, tuple[dict[str, Any], str]] = {}
    # statements of a document share one date: (as read, naive UTC, stored text) of the last one
    last: tuple[dt.datetime | None, dt.datetime | None, str | None] = (None, None, None)
    exclude_retweets = config.tweets.exclude_retweets
    for item in records:
        batch.read += 1
        if isinstance(item, StatementRecord):
            if item.is_retweet and exclude_retweets:
                batch.skipped["retweet"] += 1
                continue
            meta_json = None
            if item.meta:
                # Parsers often share one meta dict between the statements of a document.
                cached = meta_cache.get(id(item.meta))
                if cached is not None and cached[0] is item.meta:
                    meta_json = cached[1]
                else:
                    if len(meta_cache) > 4096:
                        meta_cache.clear()
                    meta_json = json.dumps(item.meta)
                    meta_cache[id(item.meta)] = (item.meta, meta_json)
            row = _row(item, config, meta_json)
            if isinstance(row, str):
                batch.rejects.append((f"{where}:{item.external_id}"[:KEY_LEN], row, item.text))
            else:
                when = item.statement_date
                if when is not last[0]:
                    naive = to_naive_utc(when)
                    last = (when, naive, None if naive is None else naive.isoformat(sep=" ", timespec="microseconds"))
                naive = last[1]
                batch.rows.append((*row[:3], last[2], *row[4:]))
                batch.speakers.append(item.speaker)
                if item.label is not None:
                    batch.labels[item.external_id] = label_row(item.label)
                if watermark_of is None:
                    if naive is not None and (newest is None or naive > newest):
                        newest = naive
                elif (wm := watermark_of(item)) is not None and (watermark is None or wm > watermark):
                    watermark = wm
        elif isinstance(item, Reject):
            batch.rejects.append((item.location, item.reason, item.raw))
        else:
            batch.skipped[item.reason] += 1
            continue
        n += 1
        if n >= size:
            batch.watermark = newest.isoformat() if newest is not None else watermark
            yield batch
            batch, n = Batch(), 0
    if batch.read:
        batch.watermark = newest.isoformat() if newest is not None else watermark
        yield batch
