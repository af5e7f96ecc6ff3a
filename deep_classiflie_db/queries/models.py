"""Named queries for the train stage: register and look up model versions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie_db.queries.ingest import utcnow
from deep_classiflie_db.schema import model_activations, model_versions

KINDS = ("head_on_cached_features", "finetuned")


def register_model_version(
    engine: Engine,
    *,
    name: str,
    kind: str,
    task: str,
    encoder: str,
    path: str,
    weights_sha256: str,
    config: dict[str, Any],
    dataset_collection_id: int | None,
    thresholds: dict[str, float] | None = None,
    head_features: list[str] | None = None,
) -> int:
    """Insert one model version; returns its id (names are unique).

    ``thresholds``: per-type decision thresholds chosen on validation; ``head_features``: the extra blocks
    (``tfidf``, ``meta``) its head reads. ``None`` for either: 0.5 / the encoder's vector only.
    """
    if kind not in KINDS:
        raise ValueError(f"model kind must be one of {KINDS}, got {kind!r}")
    with engine.begin() as conn:
        result = conn.execute(
            model_versions.insert().values(
                name=name,
                kind=kind,
                task=task,
                encoder=encoder,
                path=path,
                weights_sha256=weights_sha256,
                config=config,
                dataset_collection_id=dataset_collection_id,
                thresholds=thresholds,
                head_features=head_features,
                created_at=utcnow(),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_model_version(
    engine: Engine, *, model_version_id: int | None = None, name: str | None = None
) -> dict[str, Any] | None:
    """One model version by id or by name, as a dict (``None`` when absent)."""
    query = sa.select(model_versions)
    if model_version_id is not None:
        query = query.where(model_versions.c.id == model_version_id)
    elif name is not None:
        query = query.where(model_versions.c.name == name)
    else:
        raise ValueError("pass model_version_id or name")
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def latest_model_version(engine: Engine, *, task: str | None = None, kind: str | None = None) -> dict[str, Any] | None:
    """The most recently registered model version (optionally of one task and kind)."""
    query = sa.select(model_versions).order_by(model_versions.c.created_at.desc(), model_versions.c.id.desc()).limit(1)
    if task is not None:
        query = query.where(model_versions.c.task == task)
    if kind is not None:
        query = query.where(model_versions.c.kind == kind)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def list_model_versions(engine: Engine, *, task: str | None = None) -> list[dict[str, Any]]:
    """All model versions, newest first."""
    query = sa.select(model_versions).order_by(model_versions.c.id.desc())
    if task is not None:
        query = query.where(model_versions.c.task == task)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def activate_model_version(engine: Engine, *, model_version_id: int) -> int:
    """Make a model version the active one (a new ``model_activations`` row); returns the row's id."""
    with engine.begin() as conn:
        result = conn.execute(
            model_activations.insert().values(model_version_id=model_version_id, activated_at=utcnow())
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def active_model_version(engine: Engine) -> dict[str, Any] | None:
    """The model version activated last (with its ``activated_at``), or ``None`` when none ever was."""
    query = (
        sa.select(model_versions, model_activations.c.activated_at)
        .join(model_activations, model_activations.c.model_version_id == model_versions.c.id)
        .order_by(model_activations.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None
