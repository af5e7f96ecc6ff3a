"""Named queries of the dataset stage: read labelled and candidate statements, store collections.

Values are always bound parameters; long id lists go in chunks under SQLite's parameter limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deep_classiflie_db.queries.ingest import utcnow
from deep_classiflie_db.schema import (
    dataset_collections,
    dataset_exclusions,
    dataset_members,
    fact_check_labels,
    sources,
    speakers,
    statements,
)

_CHUNK = 900
_STATEMENT_COLS = (
    statements.c.id,
    statements.c.text,
    statements.c.text_hash,
    statements.c.statement_date,
    statements.c.statement_type,
    statements.c.word_count,
    statements.c.is_retweet,
    statements.c.meta,
)


def speaker_id(conn: Connection, *, name: str) -> int | None:
    """Id of speaker ``name`` or None."""
    return conn.execute(sa.select(speakers.c.id).where(speakers.c.name == name)).scalar_one_or_none()


def labelled_statements(
    conn: Connection,
    *,
    rating_sources: Sequence[str] = (),
    source_names: Sequence[str] = (),
    speaker: int | None = None,
) -> list[dict[str, Any]]:
    """Statements with a fact-check label, one row per (statement, label), ordered by statement and rater.

    Filtered by the rater (``rating_sources``), the statement's source (``source_names``) and
    speaker, each only when given. ``speaker_name`` is the speaker's name (None when unknown),
    ``source_name`` the statement's source, ``label_url`` the source the rater cites.
    """
    query = (
        sa.select(
            *_STATEMENT_COLS,
            speakers.c.name.label("speaker_name"),
            sources.c.name.label("source_name"),
            fact_check_labels.c.url.label("label_url"),
            fact_check_labels.c.rating_source,
            fact_check_labels.c.source_label,
            fact_check_labels.c.label_class,
        )
        .select_from(
            statements.join(fact_check_labels, fact_check_labels.c.statement_id == statements.c.id)
            .join(sources, sources.c.id == statements.c.source_id)
            .outerjoin(speakers, speakers.c.id == statements.c.speaker_id)
        )
        .order_by(statements.c.id, fact_check_labels.c.rating_source)
    )
    if rating_sources:
        query = query.where(fact_check_labels.c.rating_source.in_(list(rating_sources)))
    if source_names:
        query = query.where(sources.c.name.in_(list(source_names)))
    if speaker is not None:
        query = query.where(statements.c.speaker_id == speaker)
    return [dict(row._mapping) for row in conn.execute(query)]


def unlabelled_statements(
    conn: Connection,
    *,
    speaker: int,
    statement_types: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    min_words: int,
    max_words: int,
) -> list[dict[str, Any]]:
    """The speaker's statements without any fact-check label: candidate truths, ordered by id.

    Not retweets, of ``statement_types``, ``start <= date < end``, ``min_words <= word_count <= max_words``.
    Rows carry ``speaker_name`` as the labelled ones do, so metadata never differs by class on that alone,
    and ``source_name``.
    """
    has_label = sa.exists().where(fact_check_labels.c.statement_id == statements.c.id)
    query = (
        sa.select(*_STATEMENT_COLS, speakers.c.name.label("speaker_name"), sources.c.name.label("source_name"))
        .join(speakers, speakers.c.id == statements.c.speaker_id)
        .join(sources, sources.c.id == statements.c.source_id)
        .where(
            statements.c.speaker_id == speaker,
            statements.c.statement_type.in_(list(statement_types)),
            statements.c.is_retweet == sa.false(),
            statements.c.statement_date >= start,
            statements.c.statement_date < end,
            statements.c.word_count.between(min_words, max_words),
            ~has_label,
        )
        .order_by(statements.c.id)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def store_fingerprint(conn: Connection) -> dict[str, int]:
    """Counts and newest ids of statements and labels: changes whenever ingest adds or removes rows."""
    out: dict[str, int] = {}
    for name, table in (("statements", statements), ("labels", fact_check_labels)):
        n, top = conn.execute(sa.select(sa.func.count(), sa.func.max(table.c.id))).one()
        out[f"{name}_count"], out[f"{name}_max_id"] = int(n), int(top or 0)
    return out


def insert_collection(
    conn: Connection,
    *,
    name: str,
    task: str,
    content_hash: str,
    config: dict[str, Any],
    counts: dict[str, Any],
    report: dict[str, Any] | None,
) -> int:
    """Store a collection row; returns its id."""
    result = conn.execute(
        dataset_collections.insert().values(
            name=name,
            task=task,
            content_hash=content_hash,
            config=config,
            counts=counts,
            report=report,
            created_at=utcnow(),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def insert_members(conn: Connection, *, collection_id: int, rows: Sequence[tuple[int, str, int, int]]) -> None:
    """Store members as ``(statement_id, split, label, copies)`` rows."""
    for start in range(0, len(rows), 5000):
        conn.execute(
            dataset_members.insert(),
            [
                {"collection_id": collection_id, "statement_id": sid, "split": split, "label": label, "copies": copies}
                for sid, split, label, copies in rows[start : start + 5000]
            ],
        )


def insert_exclusions(
    conn: Connection, *, collection_id: int, rows: Sequence[tuple[int, int | None, str, float | None]]
) -> None:
    """Store exclusions as ``(statement_id, matched_statement_id, reason, distance)`` rows."""
    for start in range(0, len(rows), 5000):
        conn.execute(
            dataset_exclusions.insert(),
            [
                {
                    "collection_id": collection_id,
                    "statement_id": s,
                    "matched_statement_id": m,
                    "reason": r,
                    "distance": d,
                }
                for s, m, r, d in rows[start : start + 5000]
            ],
        )


_COLLECTION_COLS = (
    dataset_collections.c.id,
    dataset_collections.c.name,
    dataset_collections.c.task,
    dataset_collections.c.content_hash,
    dataset_collections.c.config,
    dataset_collections.c.counts,
    dataset_collections.c.report,
    dataset_collections.c.created_at,
)


def collection_by_hash(conn: Connection, *, content_hash: str) -> dict[str, Any] | None:
    """The collection with ``content_hash`` or None."""
    row = conn.execute(
        sa.select(*_COLLECTION_COLS).where(dataset_collections.c.content_hash == content_hash)
    ).one_or_none()
    return dict(row._mapping) if row else None


def collection_by_id(conn: Connection, *, collection_id: int) -> dict[str, Any] | None:
    """The collection with ``collection_id`` or None."""
    row = conn.execute(sa.select(*_COLLECTION_COLS).where(dataset_collections.c.id == collection_id)).one_or_none()
    return dict(row._mapping) if row else None


def collections_named(conn: Connection, *, name: str) -> list[dict[str, Any]]:
    """Collections called ``name``, newest first."""
    query = (
        sa.select(*_COLLECTION_COLS).where(dataset_collections.c.name == name).order_by(dataset_collections.c.id.desc())
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def latest_collection_row(conn: Connection, *, name: str | None = None) -> dict[str, Any] | None:
    """The newest collection (called ``name`` when given) or None."""
    query = sa.select(*_COLLECTION_COLS).order_by(dataset_collections.c.id.desc()).limit(1)
    if name is not None:
        query = query.where(dataset_collections.c.name == name)
    row = conn.execute(query).one_or_none()
    return dict(row._mapping) if row else None


def collection_members(conn: Connection, *, collection_id: int) -> list[tuple[int, str, int, int]]:
    """``(statement_id, split, label, copies)`` of a collection, by statement id."""
    query = (
        sa.select(
            dataset_members.c.statement_id, dataset_members.c.split, dataset_members.c.label, dataset_members.c.copies
        )
        .where(dataset_members.c.collection_id == collection_id)
        .order_by(dataset_members.c.statement_id)
    )
    return [tuple(row) for row in conn.execute(query)]


def exclusion_counts(conn: Connection, *, collection_id: int) -> dict[str, int]:
    """Number of excluded statements per reason."""
    query = (
        sa.select(dataset_exclusions.c.reason, sa.func.count())
        .where(dataset_exclusions.c.collection_id == collection_id)
        .group_by(dataset_exclusions.c.reason)
        .order_by(dataset_exclusions.c.reason)
    )
    return {reason: int(n) for reason, n in conn.execute(query)}


def update_report(conn: Connection, *, collection_id: int, report: dict[str, Any]) -> None:
    """Replace a collection's report."""
    conn.execute(dataset_collections.update().where(dataset_collections.c.id == collection_id).values(report=report))
