"""The generic writer: any stream of statement records → the store, in batched, idempotent transactions.

:func:`run_ingest`
1) records the source and opens an ingest run (status ``running``);
2) turns records into batches of store-ready rows (:func:`~deep_classiflie_db.ingest.collect.collect`:
   normalise, hash, count words; rejects and skips), in a forked child process when asked
   (:mod:`~deep_classiflie_db.ingest.producer`), else inline;
3) writes each batch in one transaction from a writer thread (:mod:`~deep_classiflie_db.ingest.writer`):
   statements (``INSERT … IGNORE``), their labels, the rejects;
4) closes the run with its counts and watermark (``ok``), or marks it ``failed`` and re-raises.

A run killed outright (SIGKILL, power loss) cannot close itself: the next run of the same source on
the same host finds it ``running`` with a dead process id and marks it ``interrupted``.

Unique keys make it idempotent: re-running the same input inserts nothing, and a run killed half-way
leaves whole committed batches that the next run skips.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.core.errors import StoreError
from deep_classiflie_db.ingest.collect import KEY_LEN, Batch, collect, prepare
from deep_classiflie_db.ingest.producer import ChildBatches, can_fork
from deep_classiflie_db.ingest.records import (
    IngestReport,
    Item,
    LabelRecord,
    Reject,
    Skip,
    SourceSpec,
    StatementRecord,
    to_naive_utc,
)
from deep_classiflie_db.ingest.writer import BatchWriter, Done
from deep_classiflie_db.queries import ingest as q


def run_ingest(
    engine: Engine,
    *,
    source: SourceSpec,
    records: Iterable[Item],
    config: IngestConfig,
    location: str | None = None,
    sha256: str | None = None,
    watermark_of: Callable[[StatementRecord], str | None] | None = None,
    on_batch: Callable[[IngestReport], None] | None = None,
    parse_in_child: bool = False,
) -> IngestReport:
    """Write ``records`` of ``source`` into the store; see the module docstring for the steps.

    ``parse_in_child`` iterates ``records`` in a forked child process (ignored where ``fork`` is missing);
    ``records`` must then not be iterated by anyone else.
    """
    started = time.perf_counter()
    where = Path(location).name if location else source.name
    # 1) the source and the run
    try:
        with engine.begin() as conn:
            source_id = q.ensure_source(
                conn, name=source.name, kind=source.kind, description=source.description, url=source.url
            )
            stale = [i for i, owner in q.running_runs(conn, source_id=source_id) if not owner_alive(owner)]
            q.mark_interrupted(
                conn,
                run_ids=stale,
                message="interrupted: its process ended without closing the run; committed batches are kept",
            )
            run_id = q.start_run(conn, source_id=source_id, location=location, sha256=sha256, owner=this_owner())
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open an ingest run for {source.name}: {exc}", hint="run `db upgrade`") from exc
    report = IngestReport(source=source.name, run_id=run_id)
    skipped: Counter[str] = Counter()
    # 2) batches, parsed here or in a child (forked before the writer thread exists)
    batches: Iterator[Batch] = collect(records, config=config, where=where, watermark_of=watermark_of)
    child = ChildBatches(batches, label=source.name) if parse_in_child and can_fork() else None
    writer = BatchWriter(engine, source_id=source_id, run_id=run_id, config=config)

    def account(done: Done) -> None:
        report.inserted += done[0]
        report.duplicate += done[1]
        report.labels_inserted += done[2]

    try:
        # 3) each batch to the writer thread, which commits it while the next one is parsed
        for batch in child if child is not None else batches:
            report.read += batch.read
            report.rejected += len(batch.rejects)
            skipped.update(batch.skipped)
            if batch.watermark is not None:
                report.watermark = batch.watermark
            account(writer.submit(batch))
            _progress(report, skipped, started, on_batch)
        account(writer.wait())
    except BaseException as exc:
        if child is not None:
            child.close()
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


def this_owner() -> str:
    """``pid N on HOST``: stored with a running run so a later run can tell whether its process is gone."""
    return f"pid {os.getpid()} on {socket.gethostname()}"


def owner_alive(owner: str | None) -> bool:
    """False only for a run started on this host by a process that no longer exists."""
    match = re.fullmatch(r"pid (\d+) on (.+)", owner or "")
    if match is None or match.group(2) != socket.gethostname():
        return True  # another host (or an older record): cannot tell, leave it
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


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
    "KEY_LEN",
    "IngestReport",
    "LabelRecord",
    "Reject",
    "Skip",
    "SourceSpec",
    "StatementRecord",
    "prepare",
    "run_ingest",
    "to_naive_utc",
]
