"""Similar statements: cosine distance on the model's pre-classifier features over its labelled training data.

The training statements' features are computed once per model version and cached on disk as safetensors
(``<data_dir>/explain_cache/features_mv<id>_<weights sha>.safetensors``: statement ids and features, no
pickle), so explaining a batch, or explaining again, does not recompute them.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from deep_classiflie.dataset.types import type_id
from deep_classiflie.model.classifier import Classifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reference:
    """The labelled training statements of a model version and their features (rows aligned)."""

    statement_ids: np.ndarray  # int64 [n]
    features: np.ndarray  # float32 [n, d], L2-normalised
    rows: Mapping[int, Mapping[str, Any]]  # statement id → text, label, statement_date


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def nearest(
    query: np.ndarray, reference: np.ndarray, k: int, *, exclude: Sequence[np.ndarray] | None = None
) -> list[list[tuple[int, float]]]:
    """For each query row, the ``k`` nearest reference rows as ``(row index, cosine distance)``, nearest first.

    Both inputs must be unit rows. ``exclude[i]``: reference row indices never returned for query ``i``
    (the statement itself, when it is a training statement). Ties go to the lower row index.
    """
    if len(reference) == 0 or k == 0:
        return [[] for _ in range(len(query))]
    dist = 1.0 - np.clip(np.asarray(query, dtype=np.float64) @ np.asarray(reference, dtype=np.float64).T, -1, 1)
    out = []
    for i, row in enumerate(dist):
        if exclude is not None and len(exclude[i]):
            row = row.copy()
            row[exclude[i]] = np.inf
        order = np.argsort(row, kind="stable")[:k]
        out.append([(int(j), float(row[j])) for j in order if np.isfinite(row[j])])
    return out


def cache_path(data_dir: Path, model_row: Mapping[str, Any]) -> Path:
    """Where the training features of a model version are cached (keyed by id and weights hash)."""
    sha = str(model_row.get("weights_sha256") or "")[:12]
    return Path(data_dir) / "explain_cache" / f"features_mv{int(model_row['id'])}_{sha}.safetensors"


def _write_atomic(path: Path, ids: np.ndarray, features: np.ndarray) -> None:
    from safetensors.numpy import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        save_file({"statement_ids": ids, "features": features}, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def training_features(
    classifier: Classifier, rows: Sequence[Mapping[str, Any]], cache: Path | None, *, batch_size: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """``(statement_ids, unit features)`` of ``rows``; read from ``cache`` when it holds exactly these ids."""
    ids = np.asarray([int(r["statement_id"]) for r in rows], dtype=np.int64)
    if cache is not None and cache.is_file():
        from safetensors.numpy import load_file

        stored = load_file(str(cache))
        if np.array_equal(stored["statement_ids"], ids):
            return ids, stored["features"]
        log.info("feature cache %s is stale (training rows changed); recomputing", cache)
    chunks = []
    for start in range(0, len(rows), batch_size):
        part = rows[start : start + batch_size]
        types = np.array([type_id(str(r["statement_type"])) for r in part], dtype=np.int64)
        chunks.append(classifier.features([str(r["text"]) for r in part], types))
    dim = classifier.head_config.hidden_dim
    features = unit_rows(np.concatenate(chunks) if chunks else np.zeros((0, dim), dtype=np.float32))
    if cache is not None:
        try:
            _write_atomic(cache, ids, features)
        except OSError as exc:  # a read-only model folder: explain without the cache rather than fail
            log.warning("cannot cache training features at %s (%s); they are recomputed next time", cache, exc)
    return ids, features


def load_reference(
    engine: Engine, model_row: Mapping[str, Any], classifier: Classifier, data_dir: Path | None
) -> Reference | None:
    """The model version's training statements (its dataset collection's train split), or None without one."""
    from deep_classiflie_db.queries import evaluate as q

    collection_id = model_row.get("dataset_collection_id")
    if collection_id is None:
        return None
    rows = q.split_rows(engine, collection_id=int(collection_id), split="train")
    cache = None if data_dir is None else cache_path(data_dir, model_row)
    log.info("training features of model version %s: %d statements", model_row["id"], len(rows))
    ids, features = training_features(classifier, rows, cache)
    return Reference(ids, features, {int(r["statement_id"]): r for r in rows})


def similar_statements(
    reference: Reference | None,
    query_features: np.ndarray,
    k: int,
    *,
    own_ids: Sequence[int | None],
    label_names: Mapping[int, str],
) -> list[list[dict[str, Any]]]:
    """For each query, its ``k`` nearest training statements as card entries (the statement itself excluded)."""
    if reference is None:
        return [[] for _ in range(len(query_features))]
    exclude = [
        np.flatnonzero(reference.statement_ids == sid) if sid is not None else np.array([], dtype=np.int64)
        for sid in own_ids
    ]
    found = nearest(unit_rows(query_features), reference.features, k, exclude=exclude)
    out = []
    for hits in found:
        entries = []
        for j, distance in hits:
            sid = int(reference.statement_ids[j])
            row = reference.rows[sid]
            date = row.get("statement_date")
            entries.append(
                {
                    "statement_id": sid,
                    "text": str(row["text"]),
                    "label": label_names.get(int(row["label"]), f"class {int(row['label'])}"),
                    "date": None if date is None else date.isoformat(),
                    "distance": round(distance, 6),
                }
            )
        out.append(entries)
    return out
