"""Find a registered model version by name, id or recency, and load it as a Classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from deep_classiflie.core.errors import ModelError
from deep_classiflie.model.classifier import Classifier, load_classifier
from deep_classiflie_db.queries.models import get_model_version, latest_model_version


def resolve_model_version(engine: Engine, ref: str | int | None = None, *, task: str | None = None) -> dict[str, Any]:
    """The model version ``ref`` names (an id or a name), or the newest one; a clear error when none."""
    if ref is None:
        row = latest_model_version(engine, task=task)
        if row is None:
            raise ModelError("no trained model is registered in the store", hint="run `deep-classiflie train` first")
        return row
    text = str(ref)
    row = get_model_version(engine, model_version_id=int(text)) if text.isdigit() else None
    row = row or get_model_version(engine, name=text)
    if row is None:
        raise ModelError(f"no model version named or numbered {text!r}", hint="see `deep-classiflie evaluate --help`")
    return row


def load_registered(
    engine: Engine, ref: str | int | None = None, *, task: str | None = None
) -> tuple[dict[str, Any], Classifier]:
    """Resolve a model version and load its folder; a moved or deleted folder is a ModelError with the path."""
    row = resolve_model_version(engine, ref, task=task)
    folder = Path(row["path"])
    if not folder.is_dir():
        raise ModelError(
            f"model folder {folder} of version {row['name']!r} is missing",
            hint="retrain with `deep-classiflie train`, or restore the folder",
        )
    return row, load_classifier(folder)
