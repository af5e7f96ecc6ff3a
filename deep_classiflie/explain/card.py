"""The card's data (JSON schema 1), assembled from values: pure, no model, no store, no files.

Schema 1 (keys are only ever added, never renamed)::

    {"schema": 1, "model": {"id", "name"},
     "statement": {"id", "text", "type", "date", "actual_label" (null = not yet fact-checked), "source_url"},
     "prediction": {"probability", "label", "threshold", "confidence"},
     "words": [{"word", "score", "start", "end"}], "top_word",
     "bucket": {"bucket", "n", "accuracy", "ppv", "npv"} | null,
     "global_metrics": {scope: {metric: value}},
     "similar": [{"statement_id", "text", "label", "date", "distance"}],
     "attribution": {"method", "target", "baseline", "n_steps", "precision", "normalisation", "delta", …}}

Word scores are normalised attributions: positive pushes toward the attributed output (binary: "likely
falsehood"), negative away from it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from deep_classiflie.model.classifier import FLAGGED, NOT_FLAGGED, binary_verdict

SCHEMA = 1
NOT_FACT_CHECKED = "not yet fact-checked"
# Names of the binary task's classes (1 = falsehood) as a card shows an actual or a neighbour's label.
BINARY_LABELS = {0: "not a falsehood", 1: "falsehood"}
_ROUND = 6


def clean_number(value: Any) -> float | int | None:
    """JSON-safe number: NaN/inf → None, floats rounded (so cards are stable across runs)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    f = float(value)
    return None if not math.isfinite(f) else round(f, _ROUND)


def iso_date(value: Any) -> str | None:
    """A date/datetime/ISO string as ISO text; None stays None."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def label_name(label: int | str | None, num_classes: int) -> str | None:
    """An actual label as the card shows it: binary class names, ``class k`` otherwise; text passes through."""
    if label is None:
        return None
    if isinstance(label, str):
        return label
    return BINARY_LABELS.get(int(label), f"class {int(label)}") if num_classes == 2 else f"class {int(label)}"


def prediction_part(probs: np.ndarray, threshold: float) -> dict[str, Any]:
    """Binary: P(falsehood) with the label at the model's threshold for the type; multi-class: the argmax."""
    p = np.asarray(probs, dtype=np.float64)
    if len(p) == 2:
        label, confidence = binary_verdict(float(p[1]), threshold)
        return {
            "probability": clean_number(p[1]),
            "label": label,
            "threshold": clean_number(threshold),
            "confidence": clean_number(confidence),
            "class": int(label == FLAGGED),
        }
    cls = int(np.argmax(p))
    return {
        "probability": clean_number(p[cls]),
        "label": f"class {cls}",
        "threshold": None,
        "confidence": clean_number(p[cls]),
        "class": cls,
        "probabilities": [clean_number(x) for x in p],
    }


def target_name(target: int, num_classes: int) -> str:
    """What the attribution is of: the falsehood logit (binary) or a class's logit."""
    return "falsehood logit" if num_classes == 2 else f"class {target} logit"


def bucket_part(bucket: Any | None) -> dict[str, Any] | None:
    """The confidence bucket's track record (a ``BucketStats``), or None when the model has no buckets."""
    if bucket is None:
        return None
    return {
        "bucket": int(bucket.bucket),
        "n": int(bucket.n),
        "accuracy": clean_number(bucket.accuracy),
        "ppv": clean_number(bucket.ppv),
        "npv": clean_number(bucket.npv),
        "scope": str(bucket.scope),
        "min_confidence": clean_number(bucket.min_confidence),
        "max_confidence": clean_number(bucket.max_confidence),
    }


def global_metrics_part(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{scope: {metric: value}}`` of an evaluation's metric rows (per-bucket scopes left out)."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        scope = str(r["scope"])
        if scope.startswith("bucket"):
            continue
        out.setdefault(scope, {})[str(r["metric"])] = clean_number(r["value"])
    return {s: dict(sorted(m.items())) for s, m in sorted(out.items())}


def assemble_card(
    *,
    model: Mapping[str, Any],
    statement: Mapping[str, Any],
    prediction: Mapping[str, Any],
    words: Sequence[Mapping[str, Any]],
    top_word: str | None,
    bucket: Mapping[str, Any] | None,
    global_metrics: Mapping[str, Any],
    similar: Sequence[Mapping[str, Any]],
    attribution: Mapping[str, Any],
) -> dict[str, Any]:
    """One card (schema 1) from its parts; the actual label is shown only when there is one."""
    actual = statement.get("actual_label")
    return {
        "schema": SCHEMA,
        "model": {"id": int(model["id"]), "name": str(model["name"])},
        "statement": {
            "id": None if statement.get("id") is None else int(statement["id"]),
            "text": str(statement["text"]),
            "type": str(statement["type"]),
            "date": iso_date(statement.get("date")),
            "actual_label": actual,
            "actual_label_display": NOT_FACT_CHECKED if actual is None else actual,
            "source_url": statement.get("source_url"),
        },
        "prediction": dict(prediction),
        "words": [
            {
                "word": str(w["word"]),
                "score": clean_number(w["score"]),
                "start": int(w["start"]),
                "end": int(w["end"]),
                "seen": bool(w.get("seen", True)),
            }
            for w in words
        ],
        "top_word": top_word,
        "bucket": None if bucket is None else dict(bucket),
        "global_metrics": {str(k): dict(v) for k, v in global_metrics.items()},
        "similar": [dict(s) for s in similar],
        "attribution": {k: (clean_number(v) if isinstance(v, float) else v) for k, v in attribution.items()},
    }


__all__ = ["FLAGGED", "NOT_FACT_CHECKED", "NOT_FLAGGED", "SCHEMA", "assemble_card"]
