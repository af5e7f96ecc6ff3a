"""Find a registered model version by name, id or recency, and load it as a Classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from deep_classiflie.core.errors import ModelError, StoreError
from deep_classiflie.model.classifier import Classifier, load_classifier
from deep_classiflie_db.queries import evaluate as q
from deep_classiflie_db.queries import models as models_q


def resolve_model_version(engine: Engine, ref: str | int | None = None) -> dict[str, Any]:
    """The model version ``ref`` names (an id or a name); ``None``: the active one (``POST
    /v1/models/{id}/activate``), else the newest. A clear error when there is none."""
    try:
        if ref is not None:
            return q.model_version(engine, ref=ref)
        return models_q.active_model_version(engine) or q.latest_model_version(engine)
    except StoreError as exc:
        raise ModelError(exc.message, hint=exc.hint) from None


def load_registered(
    engine: Engine, ref: str | int | None = None, *, task: str | None = None
) -> tuple[dict[str, Any], Classifier]:
    """Resolve a model version and load its folder; a moved or deleted folder is a ModelError with the path."""
    row = resolve_model_version(engine, ref)
    folder = Path(row["path"])
    if not folder.is_dir():
        raise ModelError(
            f"model folder {folder} of version {row['name']!r} is missing",
            hint="retrain with `deep-classiflie train`, or restore the folder",
        )
    try:
        classifier = load_classifier(folder)
    except ModelError:
        raise
    except Exception as exc:  # a damaged folder fails in safetensors, json, torch or transformers: say which
        raise ModelError(
            f"model folder {folder} of version {row['name']!r} cannot be loaded ({type(exc).__name__}: {exc})",
            hint="retrain with `deep-classiflie train`, or restore the folder from a backup",
        ) from exc
    return row, classifier
