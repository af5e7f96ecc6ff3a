"""The migrations build exactly the schema in code, on both engines, and are safe to re-run."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.schema import metadata, sources, statements


def test_migrated_schema_matches_code(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == [], f"schema drift between migrations and schema.py: {diff}"


def test_upgrade_is_idempotent_and_at_head(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    migrate.upgrade(engine)
    migrate.require_current(engine)
    names = set(sa.inspect(engine).get_table_names())
    assert {"statements", "fact_check_labels", "ingest_runs", "rejects", "model_versions"} <= names


def test_0002_keeps_rows_and_downgrades(engine: Engine) -> None:
    """A store made by 0001 keeps its statements through 0002 and back; the indexes follow the revision."""
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    with engine.begin() as conn:
        conn.execute(sources.insert(), [{"id": 1, "name": "s", "kind": "statement_stream"}])
        row = {"source_id": 1, "external_id": "e1", "text": "t", "text_hash": "h", "statement_type": "tweet"}
        conn.execute(statements.insert(), [{**row, "word_count": 1}])

    def index_names() -> set[str]:
        return {ix["name"] for ix in sa.inspect(engine).get_indexes("statements") if ix["name"]}

    assert "ix_statements_text_hash" in index_names()
    migrate.upgrade(engine)
    assert "ix_statements_speaker_date" in index_names() and "ix_statements_text_hash" not in index_names()
    with engine.connect() as conn:
        assert conn.execute(sa.select(statements.c.external_id)).scalars().all() == ["e1"]
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert "ix_statements_speaker_date" not in index_names()
    migrate.upgrade(engine)


@pytest.mark.mariadb
def test_the_copied_mariadb_test_store_equals_a_migrated_one(mariadb_engine: Engine) -> None:
    """tests/conftest.py copies one migrated template per session: the copy must be what migrating gives."""
    from tests.conftest import MARIADB_ADMIN_URL

    name = f"dc_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(MARIADB_ADMIN_URL + "/mysql")
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    migrated = make_engine(f"{MARIADB_ADMIN_URL}/{name}")
    try:
        migrate.upgrade(migrated)

        def describe(engine: Engine) -> dict[str, tuple[str, list[tuple[object, ...]]]]:
            with engine.connect() as conn:
                tables = [t for (t,) in conn.exec_driver_sql("SHOW TABLES")]
                return {
                    t: (
                        re.sub(r" AUTO_INCREMENT=\d+", "", conn.exec_driver_sql(f"SHOW CREATE TABLE `{t}`").one()[1]),
                        [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM `{t}`")],
                    )
                    for t in tables
                }

        assert describe(mariadb_engine) == describe(migrated)
    finally:
        migrated.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()
