"""Named queries for the serve stage: the optional record of API predictions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie_db.schema import api_predictions

_COLUMNS = ("model_version_id", "text_hash", "statement_type", "probability", "predicted_label", "confidence")


def record_api_predictions(engine: Engine, *, rows: Sequence[dict[str, Any]]) -> int:
    """Insert a batch of answered predictions in one transaction; returns how many were written.

    Each row has ``model_version_id, text_hash, statement_type, probability, predicted_label, confidence,
    created_at``.
    """
    if not rows:
        return 0
    with engine.begin() as conn:
        conn.execute(api_predictions.insert(), [{k: r[k] for k in (*_COLUMNS, "created_at")} for r in rows])
    return len(rows)


def count_api_predictions(engine: Engine, *, model_version_id: int | None = None) -> int:
    """How many API predictions are recorded (of one model version, or all)."""
    query = sa.select(sa.func.count()).select_from(api_predictions)
    if model_version_id is not None:
        query = query.where(api_predictions.c.model_version_id == model_version_id)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
