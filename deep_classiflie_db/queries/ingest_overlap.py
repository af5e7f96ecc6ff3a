"""Ingest-stage reads for the cross-source filters (``deep_classiflie_db.ingest.dedupe``): what other
sources already hold. Values are bound parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deep_classiflie_db.schema import fact_check_labels, sources, statements


def labelled_keys(conn: Connection, *, source_names: Sequence[str]) -> dict[tuple[str, str], str]:
    """(ISO day, text hash) → source name of every dated, labelled statement of ``source_names``."""
    query = (
        sa.select(statements.c.statement_date, statements.c.text_hash, sources.c.name)
        .select_from(
            statements.join(sources, sources.c.id == statements.c.source_id).join(
                fact_check_labels, fact_check_labels.c.statement_id == statements.c.id
            )
        )
        .where(sources.c.name.in_(list(source_names)), statements.c.statement_date.is_not(None))
    )
    out: dict[tuple[str, str], str] = {}
    for date, digest, name in conn.execute(query):
        out.setdefault((date.date().isoformat(), digest), name)
    return out


def document_texts(conn: Connection, *, source_names: Sequence[str]) -> list[tuple[str, str, dt.datetime | None, str]]:
    """(source name, ``meta.doc``, date, text) of every statement of ``source_names`` that names its document."""
    query = (
        sa.select(sources.c.name, statements.c.meta, statements.c.statement_date, statements.c.text)
        .join(sources, sources.c.id == statements.c.source_id)
        .where(sources.c.name.in_(list(source_names)))
        .order_by(statements.c.id)
    )
    out = []
    for name, meta, date, text in conn.execute(query):
        doc = (meta or {}).get("doc") if isinstance(meta, dict) else None
        if doc:
            out.append((name, str(doc), date, text))
    return out
