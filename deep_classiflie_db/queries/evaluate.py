"""Named queries of the evaluate stage: select rows to score, store predictions, metrics, buckets, calibration.

Only selection and storage live here; every number is computed in ``deep_classiflie.evaluate``.
Values are always bound. Writes are idempotent: predictions are updated in place per
(model version, statement), so rows that publications point to keep their ids; buckets and
calibrations are replaced per model version; metric history is appended (one stamp per run).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from deep_classiflie.core.errors import StoreError
from deep_classiflie_db.queries import models
from deep_classiflie_db.queries.ingest import utcnow
from deep_classiflie_db.schema import (
    confidence_buckets,
    dataset_collections,
    dataset_members,
    fact_check_labels,
    ingest_runs,
    metric_history,
    model_calibrations,
    predictions,
    publications,
    statements,
)

_CHUNK = 900  # under SQLite's bound-parameter limit


def model_version(engine: Engine, *, ref: str | int) -> dict[str, Any]:
    """The model version with id ``ref`` or named ``ref``; StoreError when there is none."""
    text = str(ref)
    row = models.get_model_version(engine, model_version_id=int(text)) if text.isdigit() else None
    row = row or models.get_model_version(engine, name=text)
    if row is None:
        raise StoreError(
            f"no model version named or numbered {ref!r} in the store",
            hint="pass a name or id printed by `deep-classiflie train`, or train one first",
        )
    return row


def latest_model_version(engine: Engine) -> dict[str, Any]:
    """The newest model version; StoreError when none has been trained."""
    row = models.latest_model_version(engine)
    if row is None:
        raise StoreError("the store has no model versions yet", hint="train one with `deep-classiflie train`")
    return row


def collection(engine: Engine, *, collection_id: int) -> dict[str, Any] | None:
    """A dataset collection (name, task, config, counts, leakage report …) or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(dataset_collections).where(dataset_collections.c.id == collection_id)).first()
    return None if row is None else dict(row._mapping)


_STATEMENT_COLS = (
    statements.c.id.label("statement_id"),
    statements.c.text,
    statements.c.statement_type,
    statements.c.statement_date,
    statements.c.word_count,
)


def split_rows(engine: Engine, *, collection_id: int, split: str) -> list[dict[str, Any]]:
    """Statements of one split of a collection with their labels and metadata (``meta``), by statement id."""
    query = (
        sa.select(*_STATEMENT_COLS, statements.c.meta, dataset_members.c.label)
        .join(statements, statements.c.id == dataset_members.c.statement_id)
        .where(dataset_members.c.collection_id == collection_id, dataset_members.c.split == split)
        .order_by(statements.c.id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def labelled_rows(
    engine: Engine, *, date_from: dt.datetime | None = None, date_to: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Every fact-checked statement said in ``[date_from, date_to)``; label = highest class any rater gave."""
    label = sa.func.max(fact_check_labels.c.label_class).label("label")
    query = (
        sa.select(*_STATEMENT_COLS, label)
        .join(fact_check_labels, fact_check_labels.c.statement_id == statements.c.id)
        .group_by(*_STATEMENT_COLS)
        .order_by(statements.c.id)
    )
    if date_from is not None:
        query = query.where(statements.c.statement_date >= date_from)
    if date_to is not None:
        query = query.where(statements.c.statement_date < date_to)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def upsert_predictions(conn: Connection, *, model_version_id: int, rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """Store predictions (statement_id, probability, predicted_label, confidence); returns (inserted, updated).

    Existing rows are updated in place, not deleted, so publications that point at them stay valid.
    """
    inserted = updated = 0
    now = utcnow()
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        ids = [int(r["statement_id"]) for r in chunk]
        existing = set(
            conn.execute(
                sa.select(predictions.c.statement_id).where(
                    predictions.c.model_version_id == model_version_id, predictions.c.statement_id.in_(ids)
                )
            ).scalars()
        )
        fresh = [{**r, "model_version_id": model_version_id, "created_at": now} for r in chunk]
        new = [r for r in fresh if r["statement_id"] not in existing]
        old = [
            {**r, "b_sid": r["statement_id"], "b_mv": model_version_id} for r in fresh if r["statement_id"] in existing
        ]
        if new:
            conn.execute(predictions.insert(), new)
        if old:
            conn.execute(
                predictions.update()
                .where(
                    predictions.c.model_version_id == sa.bindparam("b_mv"),
                    predictions.c.statement_id == sa.bindparam("b_sid"),
                )
                .values(
                    probability=sa.bindparam("probability"),
                    predicted_label=sa.bindparam("predicted_label"),
                    confidence=sa.bindparam("confidence"),
                    created_at=sa.bindparam("created_at"),
                ),
                old,
            )
        inserted, updated = inserted + len(new), updated + len(old)
    return inserted, updated


def prediction_rows(engine: Engine, *, model_version_id: int) -> list[dict[str, Any]]:
    """Stored predictions of a model version with their statement's type, by statement id."""
    query = (
        sa.select(predictions, statements.c.statement_type)
        .join(statements, statements.c.id == predictions.c.statement_id)
        .where(predictions.c.model_version_id == model_version_id)
        .order_by(predictions.c.statement_id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def ntile_buckets(engine: Engine, *, model_version_id: int, n_buckets: int, scope: str = "all") -> dict[int, int]:
    """statement id → SQL ``NTILE(n)`` bucket over stored predictions ordered by (confidence, statement id).

    The reporting view of the original, kept as the reference the pure bucketing is tested against.
    """
    bucket = sa.func.ntile(n_buckets).over(order_by=(predictions.c.confidence, predictions.c.statement_id))
    query = (
        sa.select(predictions.c.statement_id, bucket.label("bucket"))
        .join(statements, statements.c.id == predictions.c.statement_id)
        .where(predictions.c.model_version_id == model_version_id)
    )
    if scope == "tweet":
        query = query.where(statements.c.statement_type == "tweet")
    elif scope == "non_tweet":
        query = query.where(statements.c.statement_type != "tweet")
    with engine.connect() as conn:
        return {int(sid): int(b) for sid, b in conn.execute(query)}


def insert_metrics(
    conn: Connection,
    *,
    model_version_id: int,
    collection_id: int | None,
    rows: Sequence[dict[str, Any]],
    created_at: dt.datetime | None = None,
) -> dt.datetime:
    """Append one evaluation's metric rows (split, scope, metric, value, ci_low, ci_high); returns the stamp."""
    stamp = created_at or utcnow()
    if rows:
        conn.execute(
            metric_history.insert(),
            [
                {**r, "model_version_id": model_version_id, "collection_id": collection_id, "created_at": stamp}
                for r in rows
            ],
        )
    return stamp


def latest_metrics(engine: Engine, *, model_version_id: int, split: str | None = None) -> list[dict[str, Any]]:
    """The newest evaluation's metric rows of a model version (of one split, or of the newest split run)."""
    cond = [metric_history.c.model_version_id == model_version_id]
    if split is not None:
        cond.append(metric_history.c.split == split)
    newest = sa.select(sa.func.max(metric_history.c.created_at)).where(*cond).scalar_subquery()
    query = (
        sa.select(metric_history)
        .where(*cond, metric_history.c.created_at == newest)
        .order_by(metric_history.c.scope, metric_history.c.metric)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def replace_buckets(
    conn: Connection, *, model_version_id: int, collection_id: int | None, split: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Store a model version's confidence buckets of one split, replacing earlier ones."""
    conn.execute(
        confidence_buckets.delete().where(
            confidence_buckets.c.model_version_id == model_version_id, confidence_buckets.c.split == split
        )
    )
    if rows:
        now = utcnow()
        conn.execute(
            confidence_buckets.insert(),
            [
                {
                    **r,
                    "model_version_id": model_version_id,
                    "collection_id": collection_id,
                    "split": split,
                    "created_at": now,
                }
                for r in rows
            ],
        )


def bucket_rows(engine: Engine, *, model_version_id: int, split: str = "test") -> list[dict[str, Any]]:
    """Stored confidence buckets of a model version and split, by scope and bucket."""
    query = (
        sa.select(confidence_buckets)
        .where(confidence_buckets.c.model_version_id == model_version_id, confidence_buckets.c.split == split)
        .order_by(confidence_buckets.c.scope, confidence_buckets.c.bucket)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def replace_calibration(conn: Connection, *, model_version_id: int, row: dict[str, Any]) -> None:
    """Store a model version's fitted calibration (one per method), replacing an earlier fit."""
    conn.execute(
        model_calibrations.delete().where(
            model_calibrations.c.model_version_id == model_version_id, model_calibrations.c.method == row["method"]
        )
    )
    conn.execute(model_calibrations.insert(), [{**row, "model_version_id": model_version_id, "created_at": utcnow()}])


def calibration_row(engine: Engine, *, model_version_id: int, method: str = "temperature") -> dict[str, Any] | None:
    """A model version's stored calibration, or None."""
    query = sa.select(model_calibrations).where(
        model_calibrations.c.model_version_id == model_version_id, model_calibrations.c.method == method
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)


def realised_rows(engine: Engine, *, model_version_id: int | None = None) -> list[dict[str, Any]]:
    """Published predictions with every fact-check label of their statement (NULL label when none).

    ``label_time`` is when the label became known: its ``labelled_at``, else the start of the ingest
    run that stored it. Matching labels to publications by time is done by the caller.
    """
    label_time = sa.func.coalesce(fact_check_labels.c.labelled_at, ingest_runs.c.started_at).label("label_time")
    query = (
        sa.select(
            publications.c.id.label("publication_id"),
            publications.c.channel,
            publications.c.published_at,
            predictions.c.model_version_id,
            predictions.c.statement_id,
            predictions.c.probability,
            predictions.c.predicted_label,
            predictions.c.confidence,
            statements.c.statement_type,
            statements.c.word_count,
            fact_check_labels.c.label_class,
            fact_check_labels.c.rating_source,
            label_time,
        )
        .select_from(
            publications.join(predictions, predictions.c.id == publications.c.prediction_id)
            .join(statements, statements.c.id == predictions.c.statement_id)
            .outerjoin(fact_check_labels, fact_check_labels.c.statement_id == statements.c.id)
            .outerjoin(ingest_runs, ingest_runs.c.id == fact_check_labels.c.ingest_run_id)
        )
        .order_by(publications.c.id, fact_check_labels.c.id)
    )
    if model_version_id is not None:
        query = query.where(predictions.c.model_version_id == model_version_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
