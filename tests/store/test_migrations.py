"""The migrations build exactly the schema in code, on both engines, and are safe to re-run."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from deep_classiflie_db import migrate
from deep_classiflie_db.schema import metadata


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
