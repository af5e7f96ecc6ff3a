"""Helpers shared by the ingest tests."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie_db.schema import statements

STORED_COLUMNS = [
    statements.c.external_id,
    statements.c.text,
    statements.c.text_hash,
    statements.c.statement_date,
    statements.c.statement_type,
    statements.c.word_count,
    statements.c.is_retweet,
    statements.c.meta,
]


def stored_statements(engine: Engine) -> list[tuple]:
    """Every stored statement's content (no ids: they depend on insertion order), by external id."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(*STORED_COLUMNS).order_by(statements.c.external_id))]
