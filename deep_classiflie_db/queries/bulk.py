"""Bulk writes below SQLAlchemy, for ingest speed: raw-driver ``executemany`` and MariaDB ``LOAD DATA``.

Values are always bound parameters or escaped file fields, never SQL text. ``INSERT … IGNORE``
(``INSERT OR IGNORE`` on SQLite) skips rows colliding with a unique key, so re-runs insert nothing new.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from deep_classiflie_db.schema import fact_check_labels, statements


def insert_ignore(table: sa.Table) -> sa.Insert:
    """INSERT that skips rows colliding with a unique key, on SQLite and MariaDB."""
    return table.insert().prefix_with("OR IGNORE", dialect="sqlite").prefix_with("IGNORE", dialect="mysql")


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


def positional_dialect(conn: Connection) -> sa.Dialect:
    """The dialect that compiles SQL with the raw driver's positional paramstyle."""
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


def raw_executemany(conn: Connection, sql: str, rows: Sequence[tuple[Any, ...]]) -> int:
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
    if conn.dialect.name == "sqlite":
        # The date text is the form SQLAlchemy's SQLite DateTime writes and reads back.
        return raw_executemany(conn, _insert_sql("sqlite"), rows)
    if infile is not None:
        return _load_data(conn, "statements", "\n".join(map(_tsv_line, rows)), infile)
    return raw_executemany(
        conn, _insert_sql("mysql"), [tuple(int(v) if isinstance(v, bool) else v for v in r) for r in rows]
    )


def _load_data(conn: Connection, table_name: str, body: str, infile: Path) -> int:
    """Write ``body`` (TSV lines in ``LOAD DATA``'s escapes) to ``infile`` and load it into ``table_name``
    inside ``conn``'s transaction; returns the rows inserted (ignored duplicates not counted)."""
    with infile.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(body)
        fh.write("\n")
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(_load_data_sql(table_name), (str(infile),))
        return max(int(cur.rowcount), 0)
    finally:
        cur.close()


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
        return _load_data(conn, "fact_check_labels", "\n".join("\t".join(map(_tsv_value, t)) for t in tuples), infile)
    if conn.dialect.name == "sqlite":
        tuples = [tuple(_sqlite_value(v) for v in t) for t in tuples]
    return raw_executemany(conn, _insert_sql(conn.dialect.name, "fact_check_labels"), tuples)
