"""Named queries of the dashboards: read what earlier stages stored (predictions, labels, metrics, publications).

Read-only. Every number the explorers show is either read here as stored or computed from these rows
by ``deep_classiflie.viz.data`` (pure).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie_db.schema import (
    dataset_collections,
    dataset_members,
    metric_history,
    model_versions,
    predictions,
    publications,
    statements,
)


def scored_split(
    engine: Engine, *, model_version_id: int, collection_id: int, split: str = "test"
) -> list[dict[str, Any]]:
    """Statements of one split of a collection that the model version scored, with label and prediction.

    Keys: statement_id, text, statement_type, statement_date, word_count, label, probability,
    predicted_label, confidence. By statement id.
    """
    query = (
        sa.select(
            statements.c.id.label("statement_id"),
            statements.c.text,
            statements.c.statement_type,
            statements.c.statement_date,
            statements.c.word_count,
            dataset_members.c.label,
            predictions.c.probability,
            predictions.c.predicted_label,
            predictions.c.confidence,
        )
        .select_from(
            dataset_members.join(statements, statements.c.id == dataset_members.c.statement_id).join(
                predictions,
                sa.and_(
                    predictions.c.statement_id == statements.c.id, predictions.c.model_version_id == model_version_id
                ),
            )
        )
        .where(dataset_members.c.collection_id == collection_id, dataset_members.c.split == split)
        .order_by(statements.c.id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def metric_history_rows(
    engine: Engine, *, metrics: tuple[str, ...] = ("auc", "mcc"), scope: str = "all"
) -> list[dict[str, Any]]:
    """Every stored value of ``metrics`` (one scope) across model versions, with model and collection names.

    Keys: model_version_id, model_name, collection_id, collection_name, split, metric, value, created_at.
    Ordered by model version, then evaluation time.
    """
    query = (
        sa.select(
            metric_history.c.model_version_id,
            model_versions.c.name.label("model_name"),
            metric_history.c.collection_id,
            dataset_collections.c.name.label("collection_name"),
            metric_history.c.split,
            metric_history.c.metric,
            metric_history.c.value,
            metric_history.c.created_at,
        )
        .select_from(
            metric_history.join(model_versions, model_versions.c.id == metric_history.c.model_version_id).outerjoin(
                dataset_collections, dataset_collections.c.id == metric_history.c.collection_id
            )
        )
        .where(metric_history.c.scope == scope, metric_history.c.metric.in_(metrics))
        .order_by(metric_history.c.model_version_id, metric_history.c.created_at, metric_history.c.id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


_CURRENT_COLS = (
    statements.c.id.label("statement_id"),
    statements.c.text,
    statements.c.statement_type,
    statements.c.statement_date,
    statements.c.meta,
    predictions.c.model_version_id,
    model_versions.c.name.label("model_name"),
    predictions.c.probability,
    predictions.c.predicted_label,
    predictions.c.confidence,
)


def published_predictions(engine: Engine, *, channel: str = "feed", limit: int = 1000) -> list[dict[str, Any]]:
    """The newest publications of one channel with their prediction and statement (the publisher's DB log).

    Keys: those of :func:`recent_predictions` plus published_at and payload (the feed item). Newest first.
    """
    query = (
        sa.select(*_CURRENT_COLS, publications.c.published_at, publications.c.payload)
        .select_from(
            publications.join(predictions, predictions.c.id == publications.c.prediction_id)
            .join(statements, statements.c.id == predictions.c.statement_id)
            .join(model_versions, model_versions.c.id == predictions.c.model_version_id)
        )
        .where(publications.c.channel == channel, publications.c.status == "published")
        .order_by(publications.c.published_at.desc(), publications.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def recent_predictions(engine: Engine, *, model_version_id: int, limit: int = 1000) -> list[dict[str, Any]]:
    """A model version's stored predictions of the most recently said statements, newest first.

    Keys: statement_id, text, statement_type, statement_date, meta, model_version_id, model_name,
    probability, predicted_label, confidence.
    """
    query = (
        sa.select(*_CURRENT_COLS)
        .select_from(
            predictions.join(statements, statements.c.id == predictions.c.statement_id).join(
                model_versions, model_versions.c.id == predictions.c.model_version_id
            )
        )
        .where(predictions.c.model_version_id == model_version_id)
        .order_by(statements.c.statement_date.desc(), statements.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
