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
from deep_classiflie_db.ingest.records import Item, LabelRecord, Reject, Skip, StatementRecord, to_naive_utc

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
    ext, kind = record.external_id, record.statement_type
    if not ext or len(ext) > KEY_LEN:
        return None, f"external id must have 1..{KEY_LEN} characters"
    if not kind or len(kind) > TYPE_LEN:
        return None, f"statement type must have 1..{TYPE_LEN} characters"
    text = normalise(record.text, config.normalise)
    if not text:
        return None, "empty text after normalisation"
    if (not text.isascii() and _SURROGATE.search(text)) or (not ext.isascii() and _SURROGATE.search(ext)):
        return None, "invalid Unicode (lone surrogate)"
    if meta_json is None and record.meta:
        meta_json = json.dumps(record.meta)
    when = record.statement_date
    if when is not None and when.tzinfo is not None:
        when = to_naive_utc(when)
    return (
        None,
        None,
        ext,
        text,
        text_hash(text),
        when,
        kind,
        len(text.split()),
        record.is_retweet,
        meta_json,
        None,
    ), None


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
    newest: dt.datetime | None = None  # the default watermark, kept as a datetime until a batch is cut
    watermark: str | None = None
    meta_cache: dict[int, tuple[dict[str, Any], str]] = {}
    exclude_retweets = config.tweets.exclude_retweets
    for item in records:
        batch.read += 1
        if isinstance(item, Reject):
            batch.rejects.append((item.location, item.reason, item.raw))
        elif isinstance(item, Skip):
            batch.skipped[item.reason] += 1
        elif item.is_retweet and exclude_retweets:
            batch.skipped["retweet"] += 1
        else:
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
            row, why = prepare(item, config=config, meta_json=meta_json)
            if row is None:
                batch.rejects.append((f"{where}:{item.external_id}"[:KEY_LEN], why or "invalid", item.text))
            else:
                when = row[5]
                stored = None if when is None else when.isoformat(sep=" ", timespec="microseconds")
                batch.rows.append((*row[2:5], stored, *row[6:10]))
                batch.speakers.append(item.speaker)
                if item.label is not None:
                    batch.labels[item.external_id] = label_row(item.label)
                if watermark_of is None:
                    if when is not None and (newest is None or when > newest):
                        newest = when
                elif (wm := watermark_of(item)) is not None and (watermark is None or wm > watermark):
                    watermark = wm
        if len(batch) >= config.batch_size:
            batch.watermark = newest.isoformat() if newest is not None else watermark
            yield batch
            batch = Batch()
    if batch.read:
        batch.watermark = newest.isoformat() if newest is not None else watermark
        yield batch
