"""Engines for the embedded SQLite default and MariaDB, with errors that say how to fix a bad URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from deep_classiflie.core.errors import StoreError
from deep_classiflie.core.secrets import redact, url_secrets

MARIADB_START = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run during an import; NORMAL sync is safe with WAL and much faster.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


URL_HINT = (
    "use sqlite:///path/file.sqlite or mysql+mysqlconnector://user:password@host:3306/db "
    "(URL-encode @ % : / # in the password: %40 %25 %3A %2F %23)"
)


def make_engine(url: str, *, check: bool = True, create: bool = True) -> Engine:
    """Create an engine for ``url``; with ``check``, connect once so a bad URL fails here, clearly.

    ``create=False`` is for commands that only read: a missing SQLite file is then a StoreError naming
    the path, instead of a new empty store (and its folders) appearing as a side effect.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        shown = redact(url, url_secrets(url))
        raise StoreError(f"database URL {shown!r} is not valid", hint=URL_HINT) from None
    except Exception as exc:  # e.g. a non-numeric port: never let the URL (and its password) reach a traceback
        raise StoreError(f"database URL is not valid ({type(exc).__name__})", hint=URL_HINT) from None
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"future": True}
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            path = Path(parsed.database)
            if not create and not path.is_file():
                raise StoreError(
                    f"no store at {path.resolve()}",
                    hint="create it with `deep-classiflie db upgrade`, or point paths.data_dir or DC_DB_URL "
                    "at an existing store",
                )
            if create:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(
                        f"cannot create the store's folder {path.parent}: {exc.strerror}",
                        hint="choose a writable paths.data_dir (or DC_DB_URL)",
                    ) from None
        else:
            # One shared connection: an in-memory database lives as long as its connection, for every thread.
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
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
    """The URL with the password hidden, for messages (a SQLite file as its plain path, not URL-escaped)."""
    if engine.dialect.name == "sqlite":
        return f"sqlite:///{engine.url.database or ':memory:'}"
    return engine.url.render_as_string(hide_password=True)


def ping(engine: Engine) -> None:
    """Connect once; raise a StoreError that says how to fix an unreachable server."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except DBAPIError as exc:
        raise StoreError(
            f"cannot connect to the database at {describe(engine)}: {exc.orig}", hint=db_error_hint(exc)
        ) from None


def db_error_code(exc: DBAPIError) -> int | None:
    """The server's error number (MariaDB: 1045, 1049, 2003 …), when the driver gives one."""
    code = getattr(exc.orig, "errno", None)
    return int(code) if isinstance(code, int) else None


def db_error_hint(exc: DBAPIError) -> str:
    """How to fix a database error, chosen by its error code (not always "start MariaDB")."""
    code, text = db_error_code(exc), str(exc.orig).lower()
    if code in (1045, 1698):
        return "check the user and password in DC_DB_URL (URL-encode @ % : / # in the password: %40 %25 %3A %2F %23)"
    if code == 1044 or code == 1142:
        return (
            "the DC_DB_URL user may not use that database, or it does not exist: create it and "
            "`GRANT ALL ON name.* TO 'user'@'host'`, or fix the database name"
        )
    if code == 1049:
        return (
            "create the database with `CREATE DATABASE name CHARACTER SET utf8mb4 COLLATE utf8mb4_bin` "
            "or fix its name in DC_DB_URL"
        )
    if code in (2002, 2003, 2005, 2013, 2055):
        return (
            f"is MariaDB running at that host and port? start it with `{MARIADB_START}`, fix the host/port in "
            "DC_DB_URL, or unset DC_DB_URL for the embedded SQLite store"
        )
    if code in (1406, 1366):
        return "a value does not fit its column (too long, or bytes that are not UTF-8): shorten the value given"
    if code in (1205, 1213):
        return "another process holds the rows this command needs: run it again when that one has finished"
    if code in (1146, 1054):
        return "the store's schema is behind the code: run `deep-classiflie db upgrade`"
    if "unable to open database file" in text:
        return "the SQLite file's folder must exist and be readable: check paths.data_dir or DC_DB_URL"
    if "readonly database" in text or "read-only" in text:
        return "make the SQLite file and its folder writable, or use another paths.data_dir"
    if "locked" in text:
        return "another process holds the store: wait for it to finish, or stop it"
    if "no such table" in text or "no such column" in text:
        return "the store's schema is behind the code: run `deep-classiflie db upgrade`"
    if "disk" in text and "full" in text:
        return "free disk space under paths.data_dir"
    return "check DC_DB_URL and that the database server accepts connections"


def is_mariadb(engine: Engine) -> bool:
    """True for MariaDB/MySQL engines."""
    return engine.dialect.name in ("mysql", "mariadb")
