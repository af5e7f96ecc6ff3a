"""Create or migrate the store with Alembic, on SQLite or MariaDB alike."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from deep_classiflie.core.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> AlembicConfig:
    """An Alembic config that points at the packaged migrations (no alembic.ini needed).

    The URL is deliberately *not* put in it: Alembic's ConfigParser reads ``%`` as interpolation, so a
    URL-encoded password (``p%40ss``) broke every command and the error printed it. ``upgrade`` hands
    env.py the live connection instead.
    """
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return cfg


def head_revision(engine: Engine) -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate to ``revision`` (default: newest). Safe to run again."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(engine)


def require_current(engine: Engine) -> None:
    """Fail with a clear fix when the store is missing or behind the code."""
    have, want = current_revision(engine), head_revision(engine)
    if have != want:
        state = "is not initialised" if have is None else f"is at revision {have}, the code expects {want}"
        raise StoreError(f"the database {state}", hint="run `deep-classiflie db upgrade` first")
