"""Which backend serves a model version: ``serve.backend: auto`` takes the fastest one that agrees with fp32.

1) Where the CPU multiplies bf16 in hardware, ``torch-bf16`` is the fast candidate (about 3× fp32 on MiniLM
   batches); elsewhere bf16 is emulated and slower, so fp32 ``onnx`` serves.
2) The candidate and fp32 PyTorch score the same validation statements of the model's own dataset collection (up
   to ``serve.agreement.statements``, evenly spread over the split), in length-sorted batches as the batcher
   hands them over.
3) It serves only if it passes: max |Δp| ≤ ``max_dp`` and the same label (at the model's per-type thresholds) on at
   least ``min_same_labels`` of them. Otherwise — or without validation statements to check on — fp32 ``onnx``
   serves. The decision and its figures are logged and shown by ``GET /v1/models``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from deep_classiflie.config.serve import ServeConfig
from deep_classiflie.dataset.types import type_id
from deep_classiflie.model.classifier import Classifier
from deep_classiflie.model.precision import native_bf16
from deep_classiflie.serve.backends import Backend, TorchBackend, make_backend

log = logging.getLogger(__name__)

FAST = "torch-bf16"
FALLBACK = "onnx"


@dataclass(frozen=True)
class Agreement:
    """How a candidate backend's probabilities compare with fp32 PyTorch's on the same statements."""

    backend: str
    statements: int
    max_dp: float
    same_labels: float
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(
    backend: str,
    reference: np.ndarray,
    candidate: np.ndarray,
    thresholds: np.ndarray,
    *,
    max_dp: float,
    min_same_labels: float,
) -> Agreement:
    """Step 3, pure: max |Δp| and the share of unchanged labels, and whether both are within bounds."""
    dp = float(np.abs(candidate - reference).max()) if len(reference) else float("inf")
    same = float(np.mean((candidate >= thresholds) == (reference >= thresholds))) if len(reference) else 0.0
    return Agreement(backend, len(reference), dp, same, dp <= max_dp and same >= min_same_labels)


def score_sorted(
    backend: Backend, texts: Sequence[str], type_ids: np.ndarray, meta: Sequence[dict[str, Any]], batch: int = 32
) -> np.ndarray:
    """P(falsehood) of every text, in length-sorted batches (as the micro-batcher hands them over)."""
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.zeros(len(texts), dtype=np.float64)
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        out[idx] = backend.predict([texts[i] for i in idx], type_ids[idx], [meta[i] for i in idx])
    return out


def validation_sample(engine: Engine, model_row: Mapping[str, Any], n: int) -> list[dict[str, Any]]:
    """Step 2: up to ``n`` validation statements of the model's dataset collection, evenly spread ([] without)."""
    from deep_classiflie_db.queries import evaluate as q

    collection_id = model_row.get("dataset_collection_id")
    if collection_id is None:
        return []
    rows = q.split_rows(engine, collection_id=int(collection_id), split="val")
    if len(rows) > n:
        rows = [rows[int(i)] for i in np.linspace(0, len(rows) - 1, n).round()]
    return rows


def choose_backend(
    engine: Engine,
    model_row: Mapping[str, Any],
    classifier: Classifier,
    config: ServeConfig,
    *,
    cache_dir: Path,
    threads: int,
) -> tuple[Backend, dict[str, Any]]:
    """The backend for ``config.backend`` and why: a named one as asked; ``auto`` by steps 1-3 above."""
    sha = str(model_row["weights_sha256"])

    def build(name: str) -> Backend:
        return make_backend(
            classifier, name, cache_dir=cache_dir, weights_sha256=sha, threads=threads, compile=config.compile
        )

    if config.backend != "auto":
        named = build(config.backend)
        return named, {"requested": config.backend, "reason": "serve.backend names it", **_compiled(named)}
    fallback: dict[str, Any] = {"requested": "auto"}
    if not native_bf16():
        reason = "this CPU has no native bf16 kernels"
    else:
        rows = validation_sample(engine, model_row, config.agreement.statements)
        if not rows:
            reason = "the model has no validation statements in the store to check a faster backend on"
        else:
            candidate = build(FAST)
            result = _check(classifier, candidate, rows, config)
            if result.passed:
                log.info("serving with %s: it agrees with fp32 on the model's validation statements (%s)", FAST, result)
                choice = {**fallback, "reason": "agrees with fp32", "agreement": result.as_dict()}
                return candidate, {**choice, **_compiled(candidate)}
            reason = f"{FAST} does not agree with fp32 closely enough"
            fallback["agreement"] = result.as_dict()
    log.info("serving with fp32 %s: %s", FALLBACK, reason)
    chosen = build(FALLBACK)
    return chosen, {**fallback, "reason": reason}


def _compiled(backend: Backend) -> dict[str, Any]:
    return {"compiled": bool(getattr(backend, "compiled", False))}


def _check(classifier: Classifier, candidate: Backend, rows: list[dict[str, Any]], config: ServeConfig) -> Agreement:
    texts = [str(r["text"]) for r in rows]
    stypes = [str(r["statement_type"]) for r in rows]
    types = np.array([type_id(t) for t in stypes], dtype=np.int64)
    meta = [{**(r.get("meta") or {}), "statement_type": t} for r, t in zip(rows, stypes, strict=True)]
    reference = score_sorted(TorchBackend(classifier), texts, types, meta)
    got = score_sorted(candidate, texts, types, meta)
    thresholds = np.array([classifier.threshold_for(t) for t in stypes])
    bounds = config.agreement
    return compare(
        candidate.name, reference, got, thresholds, max_dp=bounds.max_dp, min_same_labels=bounds.min_same_labels
    )
