"""publish: the current-predictions publisher's log

The ``publications`` table (one row per published prediction and channel) exists since 0001; this
revision adds ``feed_snapshots``: every feed document handed to a sink, written before the sink is
touched, so copies a crash left behind (an unrecorded IPFS pin) are found and retired by the next run.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sink", sa.String(length=32), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("last_publication_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"], ["model_versions.id"], name=op.f("fk_feed_snapshots_model_version_id_model_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_snapshots")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_index("ix_feed_snapshots_sink_status", "feed_snapshots", ["sink", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feed_snapshots_sink_status", table_name="feed_snapshots")
    op.drop_table("feed_snapshots")
