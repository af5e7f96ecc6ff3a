"""model versions: per-type decision thresholds and the feature set the head reads

``thresholds``: ``{"all": t, "tweet": t, "non_tweet": t}`` chosen on the validation split (NULL: 0.5);
``head_features``: the extra blocks a hybrid head reads (``["tfidf", "meta"]``; NULL: none). Both also
live in the model folder (``thresholds.json``, ``extra_features.json``); the columns let the store answer
without opening folders. Existing rows keep NULL, which means what older models did.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("model_versions", sa.Column("thresholds", sa.JSON(), nullable=True))
    op.add_column("model_versions", sa.Column("head_features", sa.JSON(), nullable=True))


def downgrade() -> None:
    # batch mode: SQLite rebuilds the table to drop columns (MariaDB drops them in place)
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("head_features")
        batch.drop_column("thresholds")
