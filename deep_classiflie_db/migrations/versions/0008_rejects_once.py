"""ingest: a reject is recorded once per input (source + line hash)

``rejects`` gains ``source_id`` and ``line_hash`` (sha256 of the rejected line) with a unique key on the
pair, so re-running the same file records its rejects once. Existing rows are filled in from their run
and raw text; repeats already stored (same source, same line) are folded into the first one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_rejects = sa.table(
    "rejects",
    sa.column("id", sa.Integer),
    sa.column("ingest_run_id", sa.Integer),
    sa.column("location", sa.String),
    sa.column("raw", sa.Text),
    sa.column("source_id", sa.Integer),
    sa.column("line_hash", sa.String),
)
_runs = sa.table("ingest_runs", sa.column("id", sa.Integer), sa.column("source_id", sa.Integer))


def _line_hash(location: str, raw: str | None) -> str:
    # Frozen copy of deep_classiflie_db.queries.ingest.reject_line_hash as of this revision.
    text = raw if raw is not None else location
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _backfill(conn: sa.Connection) -> None:
    """Fill source_id and line_hash of stored rejects; drop repeats of a (source, line) after the first."""
    source_of = sa.select(_runs.c.source_id).where(_runs.c.id == _rejects.c.ingest_run_id).scalar_subquery()
    conn.execute(_rejects.update().values(source_id=source_of))
    seen: set[tuple[int, str]] = set()
    updates: list[dict[str, object]] = []
    repeats: list[int] = []
    query = sa.select(_rejects.c.id, _rejects.c.source_id, _rejects.c.location, _rejects.c.raw).order_by(_rejects.c.id)
    for rid, source_id, location, raw in conn.execute(query):
        digest = _line_hash(location, raw)
        if (source_id, digest) in seen:
            repeats.append(rid)
        else:
            seen.add((source_id, digest))
            updates.append({"rid": rid, "digest": digest})
    if updates:
        conn.execute(
            _rejects.update().where(_rejects.c.id == sa.bindparam("rid")).values(line_hash=sa.bindparam("digest")),
            updates,
        )
    for start in range(0, len(repeats), 500):
        conn.execute(_rejects.delete().where(_rejects.c.id.in_(repeats[start : start + 500])))


def upgrade() -> None:
    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("line_hash", sa.String(length=64), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_rejects_source_id_line_hash"), ["source_id", "line_hash"])
        batch_op.create_foreign_key(batch_op.f("fk_rejects_source_id_sources"), "sources", ["source_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_rejects_source_id_sources"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_rejects_source_id_line_hash"), type_="unique")
        batch_op.drop_column("line_hash")
        batch_op.drop_column("source_id")
