"""statements: one (speaker_id, statement_date) index instead of four single-column ones

The candidate query reads a speaker's statements in a date range; the text-hash index was never
used by a query (the dataset stage matches hashes in memory) and cost a third of the import time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SINGLE = ("speaker_id", "statement_date", "statement_type", "text_hash")


def upgrade() -> None:
    # The composite index first: MariaDB keeps the speaker foreign key on an index that starts with it.
    op.create_index("ix_statements_speaker_date", "statements", ["speaker_id", "statement_date"], unique=False)
    for column in _SINGLE:
        op.drop_index(f"ix_statements_{column}", table_name="statements")


def downgrade() -> None:
    for column in _SINGLE:
        op.create_index(f"ix_statements_{column}", "statements", [column], unique=False)
    op.drop_index("ix_statements_speaker_date", table_name="statements")
