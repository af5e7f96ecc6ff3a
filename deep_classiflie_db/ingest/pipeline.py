"""The generic writer: any stream of statement records → the store, in batched, idempotent transactions.

Parsers yield :class:`StatementRecord` (maybe with a :class:`LabelRecord`), :class:`Reject` for input
they cannot use, and :class:`Skip` for input a configured filter leaves out; every input unit becomes
exactly one of the three, so nothing is dropped silently. :func:`run_ingest` then

1) records the source and opens an ingest run (status ``running``);
2) per record: normalises the text, hashes it, counts its words; empty or invalid text becomes a reject,
   a retweet is skipped when ``ingest.tweets.exclude_retweets`` is set;
3) every ``batch_size`` inputs, writes one transaction: statements (``INSERT … IGNORE``), their labels,
   the rejects. A writer thread commits batch *n* while the caller parses batch *n + 1*;
4) closes the run with its counts and watermark (``ok``), or marks it ``failed`` and re-raises.

Unique keys make it idempotent: re-running the same input inserts nothing, and a run killed half-way
leaves whole committed batches that the next run skips.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.core.errors import StoreError
from deep_classiflie.core.text import normalise, text_hash
from deep_classiflie_db.queries import ingest as q

KEY_LEN = 191
TYPE_LEN = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class LabelRecord:
    """A fact-check verdict on a statement: the rater's own label and the task's class (1 = falsehood)."""

    rating_source: str
    source_label: str
    label_class: int
    correction: str | None = None
    url: str | None = None
    labelled_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class StatementRecord:
    """One statement as read from a source (text not yet normalised)."""

    external_id: str
    text: str
    statement_date: dt.datetime | None
    statement_type: str
    is_retweet: bool = False
    meta: dict[str, Any] | None = None
    speaker: str | None = None
    label: LabelRecord | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """Input that cannot be used: where it was, why, and the original text."""

    location: str
    reason: str
    raw: str | None


@dataclass(frozen=True, slots=True)
class Skip:
    """Input left out on purpose by a configured filter (counted in the report, not stored)."""

    location: str
    reason: str


@dataclass(frozen=True)
class SourceSpec:
    """A source of statements; ``kind`` is label_source | statement_stream | benchmark."""

    name: str
    kind: str
    description: str | None = None
    url: str | None = None


@dataclass
class IngestReport:
    """What one run read and did."""

    source: str
    run_id: int
    read: int = 0
    inserted: int = 0
    duplicate: int = 0
    rejected: int = 0
    labels_inserted: int = 0
    watermark: str | None = None
    skipped: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


Item = StatementRecord | Reject | Skip


def default_watermark(record: StatementRecord) -> str | None:
    """The statement's date as ISO text (compared as strings: the newest wins)."""
    return record.statement_date.isoformat() if record.statement_date else None


def to_naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    """The store keeps naive UTC datetimes on both engines."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass
class _Batch:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    speakers: list[str | None] = field(default_factory=list)
    labels: dict[str, LabelRecord] = field(default_factory=dict)
    rejects: list[tuple[str, str, str | None]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows) + len(self.rejects)


def prepare(
    record: StatementRecord, *, config: IngestConfig, meta_json: str | None = None
) -> tuple[tuple[Any, ...], None] | tuple[None, str]:
    """The statement row (source, speaker and run ids left as None) or the reason to reject the record.

    ``meta_json`` is the record's meta already encoded (the writer caches it for records sharing one dict).
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


class _Writer:
    """Writes batches in one background thread, so parsing overlaps with the database's work."""

    def __init__(self, engine: Engine, *, source_id: int, run_id: int, config: IngestConfig) -> None:
        self.engine, self.source_id, self.run_id, self.config = engine, source_id, run_id, config
        self.speaker_ids: dict[str, int] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        self.pending: Future[tuple[int, int, int]] | None = None
        self.tmpdir: Path | None = None
        self.bulk_engine: Engine | None = None
        if config.mariadb_bulk == "load_data":
            self.tmpdir = Path(tempfile.mkdtemp(prefix="dc_ingest_"))
            self.bulk_engine = q.loader_engine(engine, infile_dir=self.tmpdir)

    def submit(self, batch: _Batch) -> tuple[int, int, int]:
        """Queue ``batch``; returns (statements, duplicates, labels) of the previous one, once committed."""
        done = self.wait()
        self.pending = self.pool.submit(self._write, batch)
        return done

    def wait(self) -> tuple[int, int, int]:
        """Wait for the queued batch; re-raises its error."""
        if self.pending is None:
            return 0, 0, 0
        future, self.pending = self.pending, None
        return future.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        if self.bulk_engine is not None:
            self.bulk_engine.dispose()
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _write(self, batch: _Batch) -> tuple[int, int, int]:
        engine = self.bulk_engine or self.engine
        infile = self.tmpdir / "batch.tsv" if self.bulk_engine is not None and self.tmpdir else None
        with engine.begin() as conn:
            new_names = {n for n in batch.speakers if n is not None and n not in self.speaker_ids}
            if new_names:
                self.speaker_ids.update(q.ensure_speakers(conn, names=new_names))
            rows = [
                (self.source_id, self.speaker_ids.get(name) if name else None, *row[2:10], self.run_id)
                for row, name in zip(batch.rows, batch.speakers, strict=True)
            ]
            inserted = q.bulk_insert_statements(conn, rows, infile=infile)
            labels = 0
            if batch.labels:
                ids = q.statement_ids(conn, source_id=self.source_id, external_ids=batch.labels)
                labels = q.insert_labels(
                    conn,
                    [
                        {
                            "statement_id": ids[ext],
                            "rating_source": lab.rating_source,
                            "source_label": lab.source_label,
                            "label_class": lab.label_class,
                            "correction": lab.correction,
                            "url": lab.url,
                            "labelled_at": to_naive_utc(lab.labelled_at),
                            "ingest_run_id": self.run_id,
                        }
                        for ext, lab in batch.labels.items()
                        if ext in ids
                    ],
                )
            q.insert_rejects(conn, run_id=self.run_id, rows=batch.rejects)
        return inserted, len(rows) - inserted, labels


def run_ingest(
    engine: Engine,
    *,
    source: SourceSpec,
    records: Iterable[StatementRecord | Reject | Skip],
    config: IngestConfig,
    location: str | None = None,
    sha256: str | None = None,
    watermark_of: Callable[[StatementRecord], str | None] | None = None,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Write ``records`` of ``source`` into the store; see the module docstring for the steps."""
    started = time.perf_counter()
    where = Path(location).name if location else source.name
    # 1) the source and the run
    try:
        with engine.begin() as conn:
            source_id = q.ensure_source(
                conn, name=source.name, kind=source.kind, description=source.description, url=source.url
            )
            run_id = q.start_run(conn, source_id=source_id, location=location, sha256=sha256)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open an ingest run for {source.name}: {exc}", hint="run `db upgrade`") from exc
    report = IngestReport(source=source.name, run_id=run_id)
    skipped: Counter[str] = Counter()
    writer = _Writer(engine, source_id=source_id, run_id=run_id, config=config)

    def account(done: tuple[int, int, int]) -> None:
        report.inserted += done[0]
        report.duplicate += done[1]
        report.labels_inserted += done[2]

    newest: dt.datetime | None = None  # the default watermark, kept as a datetime until the end
    meta_cache: dict[int, tuple[dict[str, Any], str]] = {}
    try:
        batch = _Batch()
        for item in records:
            report.read += 1
            # 2) one input unit → a row, a reject or a skip
            if isinstance(item, Reject):
                batch.rejects.append((item.location, item.reason, item.raw))
            elif isinstance(item, Skip):
                skipped[item.reason] += 1
            elif item.is_retweet and config.tweets.exclude_retweets:
                skipped["retweet"] += 1
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
                    batch.rows.append(row)
                    batch.speakers.append(item.speaker)
                    if item.label is not None:
                        batch.labels[item.external_id] = item.label
                    if watermark_of is None:
                        if row[5] is not None and (newest is None or row[5] > newest):
                            newest = row[5]
                    elif (wm := watermark_of(item)) is not None and (report.watermark is None or wm > report.watermark):
                        report.watermark = wm
            # 3) a full batch goes to the writer thread
            if len(batch) >= config.batch_size:
                report.rejected += len(batch.rejects)
                if newest is not None:
                    report.watermark = newest.isoformat()
                account(writer.submit(batch))
                batch = _Batch()
                _progress(report, skipped, started, on_batch)
        report.rejected += len(batch.rejects)
        if newest is not None:
            report.watermark = newest.isoformat()
        if len(batch):
            account(writer.submit(batch))
        account(writer.wait())
    except BaseException as exc:
        writer.close()
        _progress(report, skipped, started, None)
        _finish(engine, report, status="failed", message=f"{type(exc).__name__}: {exc}"[:2000])
        if isinstance(exc, SQLAlchemyError):
            raise StoreError(
                f"writing {source.name} into the store failed: {exc}",
                hint="check the database is reachable and migrated (`db upgrade`), then re-run: "
                "batches already written are skipped",
            ) from exc
        raise
    writer.close()
    # 4) close the run
    _progress(report, skipped, started, on_batch)
    message = ", ".join(f"skipped {n} ({why})" for why, n in sorted(skipped.items())) or None
    _finish(engine, report, status="ok", message=message)
    return report


def _progress(
    report: IngestReport, skipped: Counter[str], started: float, on_batch: Callable[[IngestReport], None] | None
) -> None:
    report.skipped = sum(skipped.values())
    report.skipped_by_reason = dict(skipped)
    report.seconds = time.perf_counter() - started
    if on_batch is not None:
        on_batch(report)


def _finish(engine: Engine, report: IngestReport, *, status: str, message: str | None) -> None:
    counts = q.RunCounts(
        read=report.read,
        inserted=report.inserted,
        duplicate=report.duplicate,
        rejected=report.rejected,
        labels_inserted=report.labels_inserted,
        watermark=report.watermark,
    )
    try:
        with engine.begin() as conn:
            q.finish_run(conn, run_id=report.run_id, counts=counts, status=status, message=message)
    except SQLAlchemyError as exc:
        if status == "ok":
            raise StoreError(f"cannot close ingest run {report.run_id}: {exc}", hint="check the database") from exc


__all__ = [
    "IngestReport",
    "LabelRecord",
    "Reject",
    "Skip",
    "SourceSpec",
    "StatementRecord",
    "run_ingest",
]
