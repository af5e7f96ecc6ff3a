"""Named queries for ingest: sources, runs, speakers, rejects, watermarks; bulk writes live in :mod:`.bulk`.

Values are always bound parameters. Idempotency comes from unique keys plus ``INSERT … IGNORE``
(``INSERT OR IGNORE`` on SQLite), so re-running the same input inserts nothing new, and a run killed
half-way leaves only whole committed batches behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from deep_classiflie_db.queries.bulk import insert_ignore, positional_dialect, raw_executemany
from deep_classiflie_db.schema import (
    fact_check_labels,
    ingest_runs,
    rejects,
    sources,
    speakers,
    statements,
)


def utcnow() -> dt.datetime:
    """Naive UTC now (the store keeps naive UTC datetimes on both engines)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def ensure_source(
    conn: Connection, *, name: str, kind: str, description: str | None = None, url: str | None = None
) -> int:
    """Id of source ``name``, created on first use."""
    conn.execute(insert_ignore(sources), [{"name": name, "kind": kind, "description": description, "url": url}])
    return int(conn.execute(sa.select(sources.c.id).where(sources.c.name == name)).scalar_one())


def ensure_speaker(conn: Connection, *, name: str) -> int:
    """Id of speaker ``name``, created on first use."""
    conn.execute(insert_ignore(speakers), [{"name": name}])
    return int(conn.execute(sa.select(speakers.c.id).where(speakers.c.name == name)).scalar_one())


def start_run(
    conn: Connection, *, source_id: int, location: str | None, sha256: str | None, owner: str | None = None
) -> int:
    """Record the start of an ingest run (``owner``: who runs it, see :func:`running_runs`); returns its id."""
    result = conn.execute(
        ingest_runs.insert().values(
            source_id=source_id, location=location, sha256=sha256, started_at=utcnow(), status="running", message=owner
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def running_runs(conn: Connection, *, source_id: int) -> list[tuple[int, str | None]]:
    """(id, owner) of the source's runs still marked ``running``: in progress, or killed before closing."""
    query = sa.select(ingest_runs.c.id, ingest_runs.c.message).where(
        ingest_runs.c.source_id == source_id, ingest_runs.c.status == "running"
    )
    return [(int(i), m) for i, m in conn.execute(query)]


def mark_interrupted(conn: Connection, *, run_ids: Sequence[int], message: str) -> None:
    """Close runs whose process ended without closing them; their committed batches stay."""
    if run_ids:
        conn.execute(
            ingest_runs.update()
            .where(ingest_runs.c.id.in_(list(run_ids)), ingest_runs.c.status == "running")
            .values(status="interrupted", ended_at=utcnow(), message=message)
        )


@dataclass
class RunCounts:
    """What one ingest run read and did."""

    read: int = 0
    inserted: int = 0
    duplicate: int = 0
    rejected: int = 0
    labels_inserted: int = 0
    watermark: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def finish_run(conn: Connection, *, run_id: int, counts: RunCounts, status: str, message: str | None = None) -> None:
    """Close a run with its counts and status (ok | failed)."""
    conn.execute(
        ingest_runs.update()
        .where(ingest_runs.c.id == run_id)
        .values(
            ended_at=utcnow(),
            status=status,
            n_read=counts.read,
            n_inserted=counts.inserted,
            n_duplicate=counts.duplicate,
            n_rejected=counts.rejected,
            watermark=counts.watermark,
            message=message,
        )
    )


def insert_statements(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert statement rows, skipping ones already stored (same source + external id). Returns inserted."""
    if not rows:
        return 0
    return max(int(conn.execute(insert_ignore(statements), list(rows)).rowcount), 0)


def ensure_speakers(conn: Connection, *, names: Iterable[str]) -> dict[str, int]:
    """Ids of the speakers ``names``, creating the missing ones in one statement."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    sql = str(insert_ignore(speakers).values(name=sa.bindparam("name")).compile(dialect=positional_dialect(conn)))
    raw_executemany(conn, sql, [(n,) for n in wanted])  # the driver's multi-row form: 10x SQLAlchemy's here
    out: dict[str, int] = {}
    for start in range(0, len(wanted), 900):  # keep under SQLite's bound-parameter limit
        query = sa.select(speakers.c.name, speakers.c.id).where(speakers.c.name.in_(wanted[start : start + 900]))
        out.update({name: sid for name, sid in conn.execute(query)})
    return out


def statement_ids(conn: Connection, *, source_id: int, external_ids: Iterable[str]) -> dict[str, int]:
    """Map external ids of one source to statement ids."""
    ids = list(external_ids)
    out: dict[str, int] = {}
    for start in range(0, len(ids), 900):  # keep under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        query = sa.select(statements.c.external_id, statements.c.id).where(
            statements.c.source_id == source_id, statements.c.external_id.in_(chunk)
        )
        out.update({ext: sid for ext, sid in conn.execute(query)})
    return out


def reject_line_hash(location: str, raw: str | None) -> str:
    """sha256 of a rejected line (of its location when the raw text is unknown): a reject's identity."""
    text = raw if raw is not None else location
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def insert_rejects(
    conn: Connection, *, run_id: int, rows: Sequence[tuple[str, str, str | None]], source_id: int | None = None
) -> None:
    """Keep rejected input with its location, reason and original text, once per source and line.

    A line already rejected from the same source (an earlier run of the same file) is not stored again;
    the run's ``n_rejected`` still counts it. Without ``source_id`` every row is stored.
    """
    if rows:
        conn.execute(
            insert_ignore(rejects),
            [
                {
                    "ingest_run_id": run_id,
                    "location": loc[:191],
                    "reason": why,
                    "raw": raw,
                    "source_id": source_id,
                    "line_hash": reject_line_hash(loc, raw) if source_id is not None else None,
                }
                for loc, why, raw in rows
            ],
        )


def last_watermark(engine: Engine, *, source_name: str) -> str | None:
    """The watermark of the newest successful run of a source (None before the first)."""
    query = (
        sa.select(ingest_runs.c.watermark)
        .join(sources, sources.c.id == ingest_runs.c.source_id)
        .where(sources.c.name == source_name, ingest_runs.c.status == "ok", ingest_runs.c.watermark.is_not(None))
        .order_by(ingest_runs.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar_one_or_none()


def source_status(engine: Engine) -> list[dict[str, Any]]:
    """Per source: statements stored, labels, the newest statement date stored, and its last run: start, status,
    watermark (the newest date that run read), rejects.

    Rejects are those of the last run (every run re-reads its whole input, so older runs' rejects repeat).
    """
    n_statements = sa.select(sa.func.count()).where(statements.c.source_id == sources.c.id).scalar_subquery()
    # The newest statement stored, whatever the last run read (a run of an old file has an old watermark).
    newest = sa.select(sa.func.max(statements.c.statement_date)).where(statements.c.source_id == sources.c.id)
    n_labels = (
        sa.select(sa.func.count())
        .select_from(fact_check_labels.join(statements, statements.c.id == fact_check_labels.c.statement_id))
        .where(statements.c.source_id == sources.c.id)
        .scalar_subquery()
    )
    runs = ingest_runs.alias("runs")
    last_run = (
        sa.select(sa.func.max(runs.c.id)).where(runs.c.source_id == sources.c.id).correlate(sources).scalar_subquery()
    )
    query = (
        sa.select(
            sources.c.name,
            sources.c.kind,
            n_statements.label("statements"),
            n_labels.label("labels"),
            newest.scalar_subquery().label("newest"),
            ingest_runs.c.n_rejected.label("rejects"),
            ingest_runs.c.started_at.label("last_run"),
            ingest_runs.c.status.label("last_status"),
            ingest_runs.c.watermark.label("watermark"),
        )
        .select_from(sources.outerjoin(ingest_runs, ingest_runs.c.id == last_run))
        .order_by(sources.c.name)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
