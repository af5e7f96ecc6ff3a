"""bot: analysed statements, decisions and the exactly-once outbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")
_MARIADB: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin", "mysql_engine": "InnoDB"}


def upgrade() -> None:
    op.create_table(
        "bot_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("prediction_id", sa.Integer(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("predicted_label", sa.Integer(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("bucket", sa.Integer(), nullable=True),
        sa.Column("bucket_n", sa.Integer(), nullable=True),
        sa.Column("bucket_ppv", sa.Float(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", _STAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"], ["model_versions.id"], name=op.f("fk_bot_analyses_model_version_id_model_versions")
        ),
        sa.ForeignKeyConstraint(
            ["prediction_id"], ["predictions.id"], name=op.f("fk_bot_analyses_prediction_id_predictions")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statements.id"], name=op.f("fk_bot_analyses_statement_id_statements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_analyses")),
        sa.UniqueConstraint(
            "model_version_id", "statement_id", name=op.f("uq_bot_analyses_model_version_id_statement_id")
        ),
        **_MARIADB,
    )
    op.create_table(
        "bot_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("card_file", sa.Text(), nullable=True),
        sa.Column("media_id", sa.String(length=191), nullable=True),
        sa.Column("post_id", sa.String(length=191), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _STAMP, nullable=False),
        sa.Column("posted_at", _STAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["analysis_id"], ["bot_analyses.id"], name=op.f("fk_bot_outbox_analysis_id_bot_analyses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_outbox")),
        sa.UniqueConstraint("analysis_id", name=op.f("uq_bot_outbox_analysis_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_bot_outbox_idempotency_key")),
        **_MARIADB,
    )
    op.create_index("ix_bot_outbox_status", "bot_outbox", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_bot_outbox_status", table_name="bot_outbox")
    op.drop_table("bot_outbox")
    op.drop_table("bot_analyses")
