"""Shared fixtures: a fresh store per test on SQLite and on MariaDB, the shared data folder, a tiny encoder."""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie_db import migrate
from deep_classiflie_db.engine import MARIADB_START, make_engine

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("DC_SHARED_DATA", ROOT.parent / "shared" / "data"))
MARIADB_ADMIN_URL = os.environ.get("DC_TEST_MARIADB_URL", "mysql+mysqlconnector://root@127.0.0.1:3306")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _mariadb_up() -> bool:
    try:
        engine = make_engine(MARIADB_ADMIN_URL + "/mysql", check=True)
        engine.dispose()
        return True
    except Exception:
        return False


_MARIADB_STATE: dict[str, bool] = {}


def mariadb_available() -> bool:
    """Reach MariaDB, starting the server once if it is down."""
    if "ok" not in _MARIADB_STATE:
        ok = _mariadb_up()
        if not ok and Path("/usr/sbin/mariadbd").exists():
            subprocess.run(MARIADB_START.split(), check=False, capture_output=True)
            for _ in range(60):
                time.sleep(0.5)
                if ok := _mariadb_up():
                    break
        _MARIADB_STATE["ok"] = ok
    return _MARIADB_STATE["ok"]


def require_mariadb() -> None:
    """Skip without MariaDB locally; in CI an unreachable MariaDB is a failure."""
    if not mariadb_available():
        if IN_CI:
            pytest.fail("MariaDB at 127.0.0.1:3306 is unreachable in CI (and could not be started)")
        pytest.skip("MariaDB at 127.0.0.1:3306 is unreachable; start it to run the MariaDB half of the tests")


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated SQLite store in a temp dir."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """URL of a fresh, empty MariaDB database, dropped afterwards."""
    require_mariadb()
    name = f"dc_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(MARIADB_ADMIN_URL + "/mysql")
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    try:
        yield f"{MARIADB_ADMIN_URL}/{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture(scope="session")
def mariadb_template() -> Iterator[tuple[str, list[str], list[str], list[str]] | None]:
    """One MariaDB database migrated once per session: (name, tables, their CREATE statements, tables with rows).

    Running every migration takes seconds on MariaDB; a test's store is a copy of this one's schema and rows
    (``mariadb_engine``). ``None`` when the migrated schema holds views, triggers or routines, which a copy by
    ``SHOW CREATE TABLE`` would miss: each test then migrates its own store."""
    require_mariadb()
    name = f"dc_template_{uuid.uuid4().hex[:12]}"
    admin = make_engine(MARIADB_ADMIN_URL + "/mysql")
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    engine = make_engine(f"{MARIADB_ADMIN_URL}/{name}")
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            kinds = dict(conn.exec_driver_sql("SHOW FULL TABLES").all())
            extras = conn.exec_driver_sql(
                "SELECT (SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = DATABASE())"
                " + (SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = DATABASE())"
            ).scalar_one()
            tables = sorted(t for t, kind in kinds.items() if kind == "BASE TABLE")
            creates = [conn.exec_driver_sql(f"SHOW CREATE TABLE `{t}`").one()[1] for t in tables]
            filled = [t for t in tables if conn.exec_driver_sql(f"SELECT COUNT(*) FROM `{t}`").scalar_one()]
        simple = extras == 0 and all(kind == "BASE TABLE" for kind in kinds.values())
        yield (name, tables, [re.sub(r" AUTO_INCREMENT=\d+", "", c) for c in creates], filled) if simple else None
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture
def mariadb_engine(
    mariadb_url: str, mariadb_template: tuple[str, list[str], list[str], list[str]] | None
) -> Iterator[Engine]:
    """A fresh, migrated MariaDB store: the session's migrated template copied (schema, foreign keys, rows)."""
    engine = make_engine(mariadb_url)
    if mariadb_template is None:
        migrate.upgrade(engine)
    else:
        template, _tables, creates, filled = mariadb_template
        with engine.begin() as conn:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
            for ddl in creates:
                conn.exec_driver_sql(ddl)
            for table in filled:
                conn.exec_driver_sql(f"INSERT INTO `{table}` SELECT * FROM `{template}`.`{table}`")
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on both engines: a fresh migrated store each time."""
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
def shared_data() -> Path:
    """The real shared data folder; tests that need it skip cleanly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set DC_SHARED_DATA to its folder)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_encoder_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT folder (2 layers, hidden 32) standing in for the real encoder."""
    from deep_classiflie.model.tiny import make_tiny_encoder

    return make_tiny_encoder(tmp_path_factory.mktemp("tiny_encoder"))
