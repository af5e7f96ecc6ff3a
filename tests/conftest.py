"""Shared fixtures: a fresh store per test on SQLite and on MariaDB, the shared data folder, a tiny encoder."""

from __future__ import annotations

import os
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


@pytest.fixture
def mariadb_engine(mariadb_url: str) -> Iterator[Engine]:
    """A fresh, migrated MariaDB store."""
    engine = make_engine(mariadb_url)
    migrate.upgrade(engine)
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
