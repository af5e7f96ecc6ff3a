"""Named queries of the publish stage: statements to publish, the publications log, feed snapshots.

Exactly-once rests on two things here: a statement is "published" for a model and channel when its
``publications`` row exists (unique per prediction and channel), and :func:`record_publications` writes the
predictions and their publication rows in the caller's one transaction. The feed is rebuilt from the log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from deep_classiflie_db.queries.evaluate import upsert_predictions
from deep_classiflie_db.queries.ingest import utcnow
from deep_classiflie_db.schema import (
    dataset_members,
    feed_snapshots,
    predictions,
    publications,
    sources,
    statements,
)

_CHUNK = 900  # under SQLite's bound-parameter limit


def test_window_end(engine: Engine, *, collection_id: int | None) -> dt.datetime | None:
    """The latest statement date of a collection's test split (of all its members when it has no test split)."""
    if collection_id is None:
        return None
    latest = sa.func.max(statements.c.statement_date)
    base = (
        sa.select(latest)
        .select_from(dataset_members.join(statements, statements.c.id == dataset_members.c.statement_id))
        .where(dataset_members.c.collection_id == collection_id)
    )
    with engine.connect() as conn:
        end = conn.execute(base.where(dataset_members.c.split == "test")).scalar()
        return end if end is not None else conn.execute(base).scalar()


def _published(model_version_id: int, channel: str) -> sa.Exists:
    """EXISTS: the outer statement has a publication on ``channel`` for the model version."""
    return (
        sa.select(publications.c.id)
        .join(predictions, predictions.c.id == publications.c.prediction_id)
        .where(
            predictions.c.model_version_id == model_version_id,
            predictions.c.statement_id == statements.c.id,
            publications.c.channel == channel,
        )
        .exists()
    )


def unpublished_statements(
    engine: Engine,
    *,
    model_version_id: int,
    channel: str,
    since: dt.datetime | None,
    limit: int,
    statement_types: Sequence[str] | None = None,
    include_retweets: bool = False,
    source_kinds: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The oldest ``limit`` dated statements after ``since`` with no publication on ``channel`` for the model."""
    query = (
        sa.select(
            statements.c.id.label("statement_id"),
            statements.c.text,
            statements.c.statement_type,
            statements.c.statement_date,
            statements.c.external_id,
            statements.c.meta,
            sources.c.name.label("source"),
        )
        .join(sources, sources.c.id == statements.c.source_id)
        .where(statements.c.statement_date.is_not(None), ~_published(model_version_id, channel))
        .order_by(statements.c.statement_date, statements.c.id)
        .limit(limit)
    )
    if since is not None:
        query = query.where(statements.c.statement_date > since)
    if statement_types:
        query = query.where(statements.c.statement_type.in_(list(statement_types)))
    if not include_retweets:
        query = query.where(statements.c.is_retweet == sa.false())
    if source_kinds:
        query = query.where(sources.c.kind.in_(list(source_kinds)))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def record_publications(
    conn: Connection, *, model_version_id: int, channel: str, rows: Sequence[dict[str, Any]]
) -> int:
    """Store predictions and one publication row each, inside the caller's transaction; returns how many.

    ``rows``: statement_id, probability, predicted_label, confidence, payload (the feed item). A statement
    already published on ``channel`` makes the unique key fail and the whole transaction roll back.
    """
    if not rows:
        return 0
    upsert_predictions(
        conn,
        model_version_id=model_version_id,
        rows=[{k: r[k] for k in ("statement_id", "probability", "predicted_label", "confidence")} for r in rows],
    )
    ids: dict[int, int] = {}
    for start in range(0, len(rows), _CHUNK):
        chunk = [int(r["statement_id"]) for r in rows[start : start + _CHUNK]]
        query = sa.select(predictions.c.statement_id, predictions.c.id).where(
            predictions.c.model_version_id == model_version_id, predictions.c.statement_id.in_(chunk)
        )
        ids.update({int(s): int(p) for s, p in conn.execute(query)})
    now = utcnow()
    conn.execute(
        publications.insert(),
        [
            {
                "prediction_id": ids[int(r["statement_id"])],
                "channel": channel,
                "status": "published",
                "payload": r["payload"],
                "published_at": now,
            }
            for r in rows
        ],
    )
    return len(rows)


def feed_payloads(engine: Engine, *, model_version_id: int, channel: str, limit: int) -> list[dict[str, Any]]:
    """The stored feed items of the ``limit`` newest statements published on ``channel`` for the model."""
    query = (
        sa.select(publications.c.payload)
        .join(predictions, predictions.c.id == publications.c.prediction_id)
        .join(statements, statements.c.id == predictions.c.statement_id)
        .where(predictions.c.model_version_id == model_version_id, publications.c.channel == channel)
        .order_by(statements.c.statement_date.desc(), statements.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(p) for p in conn.execute(query).scalars()]


def last_publication_id(engine: Engine, *, model_version_id: int, channel: str) -> int | None:
    """Id of the newest publication on ``channel`` for the model (None when there is none)."""
    query = (
        sa.select(sa.func.max(publications.c.id))
        .join(predictions, predictions.c.id == publications.c.prediction_id)
        .where(predictions.c.model_version_id == model_version_id, publications.c.channel == channel)
    )
    with engine.connect() as conn:
        value = conn.execute(query).scalar()
    return None if value is None else int(value)


def publication_log(engine: Engine, *, channel: str, model_version_id: int | None = None) -> list[dict[str, Any]]:
    """Every publication on ``channel`` (statement id, model version, status, payload), in publication order."""
    query = (
        sa.select(
            publications.c.id,
            predictions.c.statement_id,
            predictions.c.model_version_id,
            publications.c.status,
            publications.c.payload,
            publications.c.published_at,
        )
        .join(predictions, predictions.c.id == publications.c.prediction_id)
        .where(publications.c.channel == channel)
        .order_by(publications.c.id)
    )
    if model_version_id is not None:
        query = query.where(predictions.c.model_version_id == model_version_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


# ---------------------------------------------------------------- feed snapshots (one row per document a sink got)


def current_snapshot(engine: Engine, *, sink: str) -> dict[str, Any] | None:
    """The sink's current feed document, or None before the first one."""
    query = (
        sa.select(feed_snapshots)
        .where(feed_snapshots.c.sink == sink, feed_snapshots.c.status == "current")
        .order_by(feed_snapshots.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)


def begin_snapshot(
    engine: Engine,
    *,
    sink: str,
    model_version_id: int,
    location: str,
    sha256: str,
    n_items: int,
    last_publication_id: int | None,
) -> int:
    """Record a document about to be handed to a sink (status ``writing``); returns the row id."""
    with engine.begin() as conn:
        result = conn.execute(
            feed_snapshots.insert().values(
                sink=sink,
                model_version_id=model_version_id,
                location=location,
                sha256=sha256,
                n_items=n_items,
                last_publication_id=last_publication_id,
                status="writing",
                created_at=utcnow(),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def promote_snapshot(engine: Engine, *, snapshot_id: int, sink: str) -> None:
    """Make a written document the sink's current one; the previous current one becomes ``stale``."""
    with engine.begin() as conn:
        conn.execute(
            feed_snapshots.update()
            .where(feed_snapshots.c.sink == sink, feed_snapshots.c.status == "current")
            .values(status="stale")
        )
        conn.execute(feed_snapshots.update().where(feed_snapshots.c.id == snapshot_id).values(status="current"))


def retirable_snapshots(engine: Engine, *, sink: str) -> list[dict[str, Any]]:
    """The sink's documents that are neither current nor retired (stale ones, and ``writing`` ones a crash left)."""
    query = (
        sa.select(feed_snapshots)
        .where(feed_snapshots.c.sink == sink, feed_snapshots.c.status.in_(["writing", "stale"]))
        .order_by(feed_snapshots.c.id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def mark_retired(engine: Engine, *, snapshot_ids: Sequence[int]) -> None:
    """Mark documents as retired (their copy on the sink is gone or no longer held)."""
    if snapshot_ids:
        with engine.begin() as conn:
            conn.execute(
                feed_snapshots.update().where(feed_snapshots.c.id.in_(list(snapshot_ids))).values(status="retired")
            )
