"""Engines for the embedded SQLite default and MariaDB, with errors that say how to fix a bad URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from deep_classiflie.core.errors import StoreError

MARIADB_START = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run during an import; NORMAL sync is safe with WAL and much faster.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str, *, check: bool = True) -> Engine:
    """Create an engine for ``url``; with ``check``, connect once so a bad URL fails here, clearly."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"database URL {url!r} is not valid",
            hint="use sqlite:///path/file.sqlite or mysql+mysqlconnector://user:pass@host:3306/db",
        ) from exc
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"future": True}
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    elif backend in ("mysql", "mariadb"):
        query = dict(parsed.query)
        query.setdefault("charset", "utf8mb4")
        if parsed.drivername.endswith("mysqlconnector"):
            query.setdefault("collation", "utf8mb4_bin")
        parsed = parsed.set(query=query)
        kwargs.update(pool_pre_ping=True, pool_recycle=3600)
    else:
        raise StoreError(
            f"database backend {backend!r} is not supported",
            hint="use SQLite (default) or MariaDB (mysql+mysqlconnector://…)",
        )
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:
        raise StoreError(f"no driver for {parsed.drivername!r}", hint="install the driver or fix the URL") from exc
    if backend == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    if check:
        ping(engine)
    return engine


def describe(engine: Engine) -> str:
    """The URL with the password hidden, for messages."""
    return engine.url.render_as_string(hide_password=True)


def ping(engine: Engine) -> None:
    """Connect once; raise a StoreError that says how to fix an unreachable server."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except DBAPIError as exc:
        hint = "check DC_DB_URL"
        if engine.dialect.name in ("mysql", "mariadb"):
            hint = (
                f"is MariaDB running and the database created? start it with `{MARIADB_START}` "
                "and create it with `CREATE DATABASE name CHARACTER SET utf8mb4`, or unset DC_DB_URL for SQLite"
            )
        raise StoreError(f"cannot connect to the database at {describe(engine)}: {exc.orig}", hint=hint) from None


def is_mariadb(engine: Engine) -> bool:
    """True for MariaDB/MySQL engines."""
    return engine.dialect.name in ("mysql", "mariadb")
