"""Named queries of the explain stage: record which statements were explained with which model, find the cards.

Explaining a statement again with the same model version updates its row in place (same id), so whatever
points at a card keeps pointing at the newest one. Free text (no statement id) is keyed by its text hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from deep_classiflie_db.queries.ingest import utcnow
from deep_classiflie_db.schema import explanations, fact_check_labels, statements

_CHUNK = 900  # under SQLite's bound-parameter limit


def record_explanation(
    conn: Connection,
    *,
    model_version_id: int,
    statement_id: int | None,
    text_hash: str,
    card: Mapping[str, Any],
    files: Mapping[str, str],
) -> int:
    """Store (or refresh) the card of one statement explained by one model version; returns the row id."""
    key = [explanations.c.model_version_id == model_version_id]
    if statement_id is None:
        key += [explanations.c.statement_id.is_(None), explanations.c.text_hash == text_hash]
    else:
        key.append(explanations.c.statement_id == statement_id)
    values = {
        "text_hash": text_hash,
        "card": dict(card),
        "files": {str(k): str(v) for k, v in files.items()},
        "created_at": utcnow(),
    }
    existing = conn.execute(sa.select(explanations.c.id).where(*key).order_by(explanations.c.id)).scalars().first()
    if existing is not None:
        conn.execute(explanations.update().where(explanations.c.id == existing).values(**values))
        return int(existing)
    result = conn.execute(
        explanations.insert().values(model_version_id=model_version_id, statement_id=statement_id, **values)
    )
    key_row = result.inserted_primary_key
    assert key_row is not None  # an INSERT always reports its key
    return int(key_row[0])


def explanations_for(
    engine: Engine, *, model_version_id: int, statement_ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Stored explanations of a model version (of the given statements only, when named), by id.

    Keys: id, statement_id, model_version_id, card, files, created_at.
    """
    cols = (
        explanations.c.id,
        explanations.c.statement_id,
        explanations.c.model_version_id,
        explanations.c.card,
        explanations.c.files,
        explanations.c.created_at,
    )
    base = sa.select(*cols).where(explanations.c.model_version_id == model_version_id).order_by(explanations.c.id)
    with engine.connect() as conn:
        if statement_ids is None:
            return [dict(r._mapping) for r in conn.execute(base)]
        ids = sorted({int(i) for i in statement_ids})
        out: list[dict[str, Any]] = []
        for start in range(0, len(ids), _CHUNK):
            query = base.where(explanations.c.statement_id.in_(ids[start : start + _CHUNK]))
            out.extend(dict(r._mapping) for r in conn.execute(query))
    return sorted(out, key=lambda r: int(r["id"]))


def statements_by_id(engine: Engine, *, statement_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """id → the stored statement's text, type, date and source URL (from its meta, when present)."""
    ids = sorted({int(i) for i in statement_ids})
    out: dict[int, dict[str, Any]] = {}
    cols = (
        statements.c.id,
        statements.c.text,
        statements.c.text_hash,
        statements.c.statement_type,
        statements.c.statement_date,
        statements.c.meta,
    )
    with engine.connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            query = sa.select(*cols).where(statements.c.id.in_(ids[start : start + _CHUNK]))
            for r in conn.execute(query):
                out[int(r.id)] = dict(r._mapping)
    return out


def actual_labels(engine: Engine, *, statement_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """id → ``{"label", "url"}`` of the fact-checked statements among ``statement_ids``.

    The label is the highest class any rater gave (as the dataset stage counts it); the URL is one rater's
    fact-check page. Statements no one has rated are absent.
    """
    ids = sorted({int(i) for i in statement_ids})
    out: dict[int, dict[str, Any]] = {}
    query = sa.select(
        fact_check_labels.c.statement_id,
        sa.func.max(fact_check_labels.c.label_class).label("label"),
        sa.func.max(fact_check_labels.c.url).label("url"),
    ).group_by(fact_check_labels.c.statement_id)
    with engine.connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            chunk = query.where(fact_check_labels.c.statement_id.in_(ids[start : start + _CHUNK]))
            for r in conn.execute(chunk):
                out[int(r.statement_id)] = {"label": int(r.label), "url": r.url}
    return out
