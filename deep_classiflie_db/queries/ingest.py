"""Named queries for ingest: sources, runs, batched idempotent writes of statements, labels and rejects.

Values are always bound parameters. Idempotency comes from unique keys plus ``INSERT … IGNORE``
(``INSERT OR IGNORE`` on SQLite), so re-running the same input inserts nothing new, and a run killed
half-way leaves only whole committed batches behind.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

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


def insert_ignore(table: sa.Table) -> sa.Insert:
    """INSERT that skips rows colliding with a unique key, on SQLite and MariaDB."""
    return table.insert().prefix_with("OR IGNORE", dialect="sqlite").prefix_with("IGNORE", dialect="mysql")


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
    sql = str(insert_ignore(speakers).values(name=sa.bindparam("name")).compile(dialect=_dialect(conn)))
    _raw_executemany(conn, sql, [(n,) for n in wanted])  # the driver's multi-row form: 10x SQLAlchemy's here
    out: dict[str, int] = {}
    for start in range(0, len(wanted), 900):  # keep under SQLite's bound-parameter limit
        query = sa.select(speakers.c.name, speakers.c.id).where(speakers.c.name.in_(wanted[start : start + 900]))
        out.update({name: sid for name, sid in conn.execute(query)})
    return out


# ---------------------------------------------------------------- bulk statement writes

# Column order of the tuples given to :func:`bulk_insert_statements`.
STATEMENT_COLUMNS = (
    "source_id",
    "speaker_id",
    "external_id",
    "text",
    "text_hash",
    "statement_date",
    "statement_type",
    "word_count",
    "is_retweet",
    "meta",
    "ingest_run_id",
)
# LOAD DATA's escapes (FIELDS ESCAPED BY '\\'): a tab, newline, backslash or NUL inside a value is escaped.
_NULL = "\\N"


def _dialect(conn: Connection) -> sa.Dialect:
    return _positional_dialect(conn.dialect.name)


@functools.cache
def _positional_dialect(name: str) -> sa.Dialect:
    # The paramstyles of the raw drivers: sqlite3 ``?``, mysql-connector ``%s``.
    return sqlite.dialect() if name == "sqlite" else mysql.dialect(paramstyle="format")


@functools.cache
def _insert_sql(dialect_name: str, table_name: str = "statements") -> str:
    """``INSERT [OR] IGNORE INTO <table> (…) VALUES (?, …)`` compiled with positional parameters."""
    dialect = _positional_dialect(dialect_name)
    table, columns = (
        (statements, STATEMENT_COLUMNS) if table_name == "statements" else (fact_check_labels, LABEL_COLUMNS)
    )
    values: dict[str, Any] = {name: sa.bindparam(name) for name in columns}
    return str(insert_ignore(table).values(values).compile(dialect=dialect))


def _sqlite_value(value: Any) -> Any:
    # The text form SQLAlchemy's SQLite DateTime writes and reads back.
    return value.isoformat(sep=" ", timespec="microseconds") if isinstance(value, dt.datetime) else value


def _raw_executemany(conn: Connection, sql: str, rows: Sequence[tuple[Any, ...]]) -> int:
    """``executemany`` on the DBAPI connection inside ``conn``'s transaction; returns the driver's rowcount."""
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(sql, rows)
        return max(int(cur.rowcount), 0)
    finally:
        cur.close()


@functools.cache
def _load_data_sql(table_name: str = "statements") -> str:
    """``LOAD DATA LOCAL INFILE %s IGNORE INTO TABLE <table> …`` (file name bound, identifiers quoted)."""
    table, columns = (
        (statements, STATEMENT_COLUMNS) if table_name == "statements" else (fact_check_labels, LABEL_COLUMNS)
    )
    prep = mysql.dialect().identifier_preparer
    cols = ", ".join(prep.quote(name) for name in columns)
    return (
        f"LOAD DATA LOCAL INFILE %s IGNORE INTO TABLE {prep.format_table(table)} CHARACTER SET utf8mb4 "
        f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({cols})"
    )


def _tsv(value: str) -> str:
    # Most values hold none of the escaped characters; five C-level scans beat one translate table.
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r").replace("\0", "\\0")
    )


def _tsv_value(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, str):
        return _tsv(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    return str(value)


def _tsv_line(row: tuple[Any, ...]) -> str:
    """One statement row (:data:`STATEMENT_COLUMNS` order, date as stored text) as a ``LOAD DATA`` line."""
    sid, speaker, ext, text, digest, date, kind, words, retweet, meta, run = row
    return "\t".join(
        (
            str(sid),
            _NULL if speaker is None else str(speaker),
            _tsv(ext),
            _tsv(text),
            digest,
            _NULL if date is None else str(date),
            _tsv(kind),
            str(words),
            "1" if retweet else "0",
            _NULL if meta is None else _tsv(meta),
            str(run),
        )
    )


def loader_engine(engine: Engine, *, infile_dir: Path) -> Engine | None:
    """A MariaDB engine allowed to ``LOAD DATA LOCAL`` files from ``infile_dir`` only; None when not possible.

    The shared engine is not allowed to send local files (a hostile server could ask for any file);
    this one may send only the files we write into our own private temporary folder.
    """
    if engine.dialect.name not in ("mysql", "mariadb") or engine.dialect.driver != "mysqlconnector":
        return None
    return sa.create_engine(
        engine.url, poolclass=NullPool, connect_args={"allow_local_infile_in_path": str(infile_dir)}
    )


def bulk_insert_statements(conn: Connection, rows: Sequence[tuple[Any, ...]], *, infile: Path | None = None) -> int:
    """Insert statement tuples (:data:`STATEMENT_COLUMNS` order, ``meta`` as JSON, ``statement_date`` in the
    stored text form ``YYYY-MM-DD HH:MM:SS.ffffff``) skipping stored ones.

    Goes below SQLAlchemy for speed: SQLite gets one ``executemany`` on the raw connection; MariaDB gets
    ``LOAD DATA LOCAL INFILE … IGNORE`` from ``infile`` when given (the connection must come from
    :func:`loader_engine`), else the driver's multi-row ``executemany``. Both stay inside ``conn``'s
    transaction. Returns the rows inserted (the driver's rowcount, which skips ignored duplicates).
    """
    if not rows:
        return 0
    raw: Any = conn.connection.dbapi_connection
    cur = raw.cursor()
    try:
        if conn.dialect.name == "sqlite":
            # The date text is the form SQLAlchemy's SQLite DateTime writes and reads back.
            cur.executemany(_insert_sql("sqlite"), rows)
        elif infile is not None:
            with infile.open("w", encoding="utf-8", newline="\n") as fh:
                fh.write("\n".join(map(_tsv_line, rows)))
                fh.write("\n")
            cur.execute(_load_data_sql(), (str(infile),))
        else:
            cur.executemany(
                _insert_sql("mysql"), [tuple(int(v) if isinstance(v, bool) else v for v in r) for r in rows]
            )
        return max(int(cur.rowcount), 0)
    finally:
        cur.close()


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


LABEL_COLUMNS = (
    "statement_id",
    "rating_source",
    "source_label",
    "label_class",
    "correction",
    "url",
    "labelled_at",
    "ingest_run_id",
)


def insert_labels(conn: Connection, rows: Sequence[dict[str, Any]], *, infile: Path | None = None) -> int:
    """Insert fact-check labels, skipping (statement, rating source) pairs already stored. Returns inserted.

    Runs on the raw connection: the driver's rowcount of ``INSERT … IGNORE`` counts only new rows
    (SQLAlchemy reports -1 for it on MariaDB). On MariaDB with ``infile`` (a connection from
    :func:`loader_engine`), through ``LOAD DATA LOCAL INFILE … IGNORE`` as the statements.
    """
    if not rows:
        return 0
    tuples = [tuple(r.get(c) for c in LABEL_COLUMNS) for r in rows]
    if infile is not None and conn.dialect.name != "sqlite":
        with infile.open("w", encoding="utf-8", newline="\n") as fh:
            fh.write("".join("\t".join(map(_tsv_value, t)) + "\n" for t in tuples))
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.execute(_load_data_sql("fact_check_labels"), (str(infile),))
            return max(int(cur.rowcount), 0)
        finally:
            cur.close()
    if conn.dialect.name == "sqlite":
        tuples = [tuple(_sqlite_value(v) for v in t) for t in tuples]
    return _raw_executemany(conn, _insert_sql(conn.dialect.name, "fact_check_labels"), tuples)


def insert_rejects(conn: Connection, *, run_id: int, rows: Sequence[tuple[str, str, str | None]]) -> None:
    """Keep rejected input with its location, reason and original text."""
    if rows:
        conn.execute(
            rejects.insert(),
            [{"ingest_run_id": run_id, "location": loc[:191], "reason": why, "raw": raw} for loc, why, raw in rows],
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
    """Per source: statements stored, labels, and its last run: start, status, watermark, rejects.

    Rejects are those of the last run (every run re-reads its whole input, so older runs' rejects repeat).
    """
    n_statements = sa.select(sa.func.count()).where(statements.c.source_id == sources.c.id).scalar_subquery()
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
