"""The model card: Markdown rendered from what the store knows about a model version.

Sections: model, data, splits, training schedule, metrics (with 95% intervals), confidence
buckets, calibration, caveats (the dataset's leakage/balance report plus the label caveats every
reader needs). :func:`card_context` is pure; :func:`build_card` reads the store.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.engine import Engine

TEMPLATES = Path(__file__).parent / "templates"
SCOPE_ORDER = ("all", "tweet", "non_tweet")
CARD_METRICS = ("auc", "mcc", "accuracy", "macro_f1", "precision", "recall", "f1", "ece")
STANDARD_CAVEATS = (
    'A "truth" here means a statement not (yet) found in the fact-check lists: labels are noisy by nature.',
    "Label coverage differs by period and statement type; a model can learn when or where something was "
    "said instead of whether it is false. Read the temporal confusion matrices and the leakage report.",
    "Confidence buckets come from one test split; small buckets have wide error bars.",
)


def _fmt(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _schedule(config: Mapping[str, Any]) -> list[str]:
    """Human lines for the training schedule found in a model version's stored config."""
    lines = []
    for key in ("schedule", "thaw_schedule", "phases"):
        if key in config:
            lines.append(f"{key}: `{json.dumps(config[key], default=str)}`")
    train = config.get("train", config)
    for key in ("epochs", "lr", "batch_size", "label_smoothing", "weight_decay", "patience", "seed"):
        if isinstance(train, Mapping) and key in train:
            lines.append(f"{key}: {train[key]}")
    return lines or ["not recorded"]


def card_context(
    model: Mapping[str, Any],
    collection: Mapping[str, Any] | None,
    metrics: Sequence[Mapping[str, Any]],
    buckets: Sequence[Mapping[str, Any]],
    calibration: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Everything the template shows, formatted (pure)."""
    metric_table = []
    by_key = {(str(r["scope"]), str(r["metric"])): r for r in metrics}
    split = str(metrics[0]["split"]) if metrics else "test"
    for scope in SCOPE_ORDER:
        for metric in CARD_METRICS:
            r = by_key.get((scope, metric))
            if r is not None:
                ci = f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]" if r["ci_low"] is not None else "–"
                n = by_key.get((scope, "n"))
                metric_table.append(
                    {
                        "scope": scope,
                        "metric": metric,
                        "value": _fmt(r["value"]),
                        "ci": ci,
                        "n": _fmt(n and n["value"], 0),
                    }
                )
    bucket_table = [
        {
            "scope": b["scope"],
            "bucket": b["bucket"],
            "n": b["n"],
            "conf": f"{_fmt(b['min_confidence'])}–{_fmt(b['max_confidence'])}",
            "accuracy": _fmt(b["accuracy"]),
            "ppv": _fmt(b["ppv"]),
            "npv": _fmt(b["npv"]),
            "ppr": _fmt(b["ppr"]),
            "words": _fmt(b["mean_word_count"], 1),
        }
        for b in buckets
    ]
    coll = dict(collection or {})
    report = coll.get("report")
    return {
        "model": {
            k: _fmt(model.get(k)) for k in ("id", "name", "kind", "task", "encoder", "weights_sha256", "created_at")
        },
        "collection": {k: _fmt(coll.get(k)) for k in ("id", "name", "task", "content_hash", "created_at")}
        if coll
        else None,
        "dataset_config": json.dumps(coll.get("config"), indent=2, sort_keys=True, default=str) if coll else None,
        "counts": json.dumps(coll.get("counts"), indent=2, sort_keys=True, default=str) if coll else None,
        "schedule": _schedule(model.get("config") or {}),
        "split": split,
        "metrics": metric_table,
        "buckets": bucket_table,
        "calibration": {k: _fmt(v, 4) for k, v in calibration.items()} if calibration else None,
        "report": json.dumps(report, indent=2, sort_keys=True, default=str) if report else None,
        "caveats": STANDARD_CAVEATS,
    }


def render_card(context: Mapping[str, Any]) -> str:
    """Markdown of the model card from :func:`card_context`'s output."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    return env.get_template("model_card.md.j2").render(**context)


def build_card(engine: Engine, ref: str | int, *, split: str = "test") -> str:
    """The model card of model version ``ref`` (name or id), from the store."""
    from deep_classiflie_db.queries import evaluate as q

    model = q.model_version(engine, ref=ref)
    coll_id = model.get("dataset_collection_id")
    coll = q.collection(engine, collection_id=int(coll_id)) if coll_id is not None else None
    metrics = q.latest_metrics(engine, model_version_id=int(model["id"]), split=split)
    buckets = q.bucket_rows(engine, model_version_id=int(model["id"]), split=split)
    calibration = q.calibration_row(engine, model_version_id=int(model["id"]))
    if calibration:
        calibration = {
            k: calibration[k] for k in ("method", "temperature", "fitted_on", "n", "ece_before", "ece_after")
        }
    return render_card(card_context(model, coll, metrics, buckets, calibration))
