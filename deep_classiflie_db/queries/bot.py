"""Named queries of the bot stage: what is left to analyse, every decision, and the exactly-once outbox.

An analysis row per (model version, statement) marks a statement as analysed; a statement ruled for posting
gets its outbox row in the same transaction. The outbox row moves ``pending`` → ``posted`` (or ``failed``
for a post the network refused outright); its ``attempts`` is raised *before* each try, so a restarted bot
knows that a try may have reached the network and asks the network before trying again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from deep_classiflie_db.queries.ingest import utcnow
from deep_classiflie_db.schema import (
    bot_analyses,
    bot_outbox,
    dataset_members,
    model_versions,
    predictions,
    publications,
    sources,
    statements,
)


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:  # never for a single-row insert with an integer primary key
        raise RuntimeError("insert returned no primary key")
    return int(key[0])


def unanalysed_statements(
    engine: Engine, *, model_version_id: int, source_names: Sequence[str], limit: int
) -> list[dict[str, Any]]:
    """Statements of the named sources that the model version has not analysed yet, oldest id first."""
    done = sa.select(bot_analyses.c.statement_id).where(
        bot_analyses.c.model_version_id == model_version_id, bot_analyses.c.statement_id == statements.c.id
    )
    query = (
        sa.select(
            statements.c.id.label("statement_id"),
            statements.c.text,
            statements.c.statement_type,
            statements.c.statement_date,
            statements.c.is_retweet,
            statements.c.meta,
            sources.c.name.label("source"),
        )
        .join(sources, sources.c.id == statements.c.source_id)
        .where(sources.c.name.in_(list(source_names)), ~sa.exists(done))
        .order_by(statements.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def test_window_end(engine: Engine, *, model_version_id: int) -> dt.datetime | None:
    """The newest statement date of the model's test split (of its whole dataset when it has no test split)."""
    collection = (
        sa.select(model_versions.c.dataset_collection_id)
        .where(model_versions.c.id == model_version_id)
        .scalar_subquery()
    )
    newest = (
        sa.select(sa.func.max(statements.c.statement_date))
        .join(dataset_members, dataset_members.c.statement_id == statements.c.id)
        .where(dataset_members.c.collection_id == collection)
    )
    with engine.connect() as conn:
        found = conn.execute(newest.where(dataset_members.c.split == "test")).scalar()
        if found is None:
            found = conn.execute(newest).scalar()
    return found


def record_analyses(conn: Connection, *, model_version_id: int, rows: Sequence[dict[str, Any]]) -> dict[int, int]:
    """Insert analysis rows (statement_id, decision, rule, … ); returns statement id → analysis id."""
    now = utcnow()
    out: dict[int, int] = {}
    for row in rows:
        result = conn.execute(
            bot_analyses.insert().values(**{**row, "model_version_id": model_version_id, "created_at": now})
        )
        out[int(row["statement_id"])] = _new_id(result)
    return out


def add_outbox(
    conn: Connection, *, analysis_id: int, network: str, idempotency_key: str, text: str, card_file: str | None
) -> int:
    """Queue one post (status pending); returns the outbox id."""
    result = conn.execute(
        bot_outbox.insert().values(
            analysis_id=analysis_id,
            network=network,
            idempotency_key=idempotency_key,
            text=text,
            card_file=card_file,
            status="pending",
            attempts=0,
            created_at=utcnow(),
        )
    )
    return _new_id(result)


def pending_outbox(engine: Engine, *, network: str) -> list[dict[str, Any]]:
    """Posts queued for a network and not yet completed, oldest first, with their statement and prediction."""
    query = (
        sa.select(
            bot_outbox,
            bot_analyses.c.statement_id,
            bot_analyses.c.prediction_id,
            bot_analyses.c.model_version_id,
        )
        .join(bot_analyses, bot_analyses.c.id == bot_outbox.c.analysis_id)
        .where(bot_outbox.c.network == network, bot_outbox.c.status == "pending")
        .order_by(bot_outbox.c.id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def begin_attempt(engine: Engine, *, outbox_id: int) -> int:
    """Count one more try (committed before the network is asked); returns the new count."""
    with engine.begin() as conn:
        conn.execute(bot_outbox.update().where(bot_outbox.c.id == outbox_id).values(attempts=bot_outbox.c.attempts + 1))
        return int(conn.execute(sa.select(bot_outbox.c.attempts).where(bot_outbox.c.id == outbox_id)).scalar_one())


def set_media(engine: Engine, *, outbox_id: int, media_id: str) -> None:
    """Remember the uploaded card's media id (a retry reuses it)."""
    with engine.begin() as conn:
        conn.execute(bot_outbox.update().where(bot_outbox.c.id == outbox_id).values(media_id=media_id))


def note_error(engine: Engine, *, outbox_id: int, error: str) -> None:
    """Keep the last error of a post that stays pending."""
    with engine.begin() as conn:
        conn.execute(bot_outbox.update().where(bot_outbox.c.id == outbox_id).values(last_error=error[:2000]))


def complete_post(
    engine: Engine, *, outbox_id: int, post_id: str, prediction_id: int | None, payload: dict[str, Any] | None
) -> None:
    """Mark a post done (post id, time) and, for a real network, record the publication of its prediction."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            bot_outbox.update()
            .where(bot_outbox.c.id == outbox_id)
            .values(status="posted", post_id=post_id, posted_at=now, last_error=None)
        )
        if prediction_id is not None and payload is not None:
            seen = conn.execute(
                sa.select(publications.c.id).where(
                    publications.c.prediction_id == prediction_id, publications.c.channel == "bot"
                )
            ).first()
            if seen is None:
                conn.execute(
                    publications.insert().values(
                        prediction_id=prediction_id,
                        channel="bot",
                        external_id=post_id,
                        status="published",
                        payload=payload,
                        published_at=now,
                    )
                )


def fail_post(engine: Engine, *, outbox_id: int, error: str) -> None:
    """Give up on a post the network refused outright (not retried)."""
    with engine.begin() as conn:
        conn.execute(
            bot_outbox.update().where(bot_outbox.c.id == outbox_id).values(status="failed", last_error=error[:2000])
        )


def posts_since(engine: Engine, *, network: str, since: dt.datetime) -> int:
    """Posts queued for a network since ``since`` (pending or posted; the daily cap counts these)."""
    query = sa.select(sa.func.count()).where(
        bot_outbox.c.network == network, bot_outbox.c.created_at >= since, bot_outbox.c.status != "failed"
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def outbox_rows(engine: Engine, *, network: str | None = None) -> list[dict[str, Any]]:
    """Every outbox row (of one network), by id, with its statement id."""
    query = (
        sa.select(bot_outbox, bot_analyses.c.statement_id)
        .join(bot_analyses, bot_analyses.c.id == bot_outbox.c.analysis_id)
        .order_by(bot_outbox.c.id)
    )
    if network is not None:
        query = query.where(bot_outbox.c.network == network)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def decision_counts(engine: Engine, *, model_version_id: int | None = None) -> dict[str, int]:
    """How many analyses each rule decided (``publish`` for the posted ones)."""
    query = sa.select(bot_analyses.c.rule, sa.func.count()).group_by(bot_analyses.c.rule)
    if model_version_id is not None:
        query = query.where(bot_analyses.c.model_version_id == model_version_id)
    with engine.connect() as conn:
        return {str(rule): int(n) for rule, n in conn.execute(query)}


def prediction_ids(conn: Connection, *, model_version_id: int, statement_ids: Sequence[int]) -> dict[int, int]:
    """statement id → id of the model version's stored prediction of it."""
    if not statement_ids:
        return {}
    query = sa.select(predictions.c.statement_id, predictions.c.id).where(
        predictions.c.model_version_id == model_version_id, predictions.c.statement_id.in_(list(statement_ids))
    )
    return {int(s): int(i) for s, i in conn.execute(query)}


def posted_ids_since(engine: Engine, *, network: str, since: dt.datetime) -> list[str]:
    """Post ids recorded for a network's outbox rows queued since ``since``."""
    query = sa.select(bot_outbox.c.post_id).where(
        bot_outbox.c.network == network, bot_outbox.c.created_at >= since, bot_outbox.c.post_id.is_not(None)
    )
    with engine.connect() as conn:
        return [str(p) for p in conn.execute(query).scalars()]
