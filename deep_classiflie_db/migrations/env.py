"""Alembic environment: runs against the connection handed in by ``deep_classiflie_db.migrate``."""

from __future__ import annotations

from alembic import context

from deep_classiflie_db.schema import metadata

config = context.config
connection = config.attributes.get("connection")


def _ours(name: str | None, type_: str, parent_names: object) -> bool:
    # Other tables may share the database (Optuna's study tables, see deep_classiflie/tune): autogenerate must
    # neither drop nor manage them.
    return type_ != "table" or name in metadata.tables


def run() -> None:
    """Online migrations only: the caller always hands in a live connection."""
    if connection is None:
        raise RuntimeError("run migrations through `deep-classiflie db upgrade`, which supplies the connection")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch mode for ALTER
        compare_type=True,
        include_name=_ours,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
