"""The migrations build exactly the schema in code, on both engines, and are safe to re-run."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from deep_classiflie_db import migrate
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
