"""The current-predictions feed: pure functions from stored rows and a prediction to feed items and documents.

A feed document (schema 1) is ``{"schema", "generated_at", "model": {"id", "name"}, "items": [...]}``; each
item is ``{"statement_id", "text", "date", "type", "source_url", "probability", "label", "bucket",
"global_metrics", "model_version"}``. An item is computed once, when its statement is published, and stored
as the publication row's payload, so rebuilding the feed from the log gives the same items.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deep_classiflie.evaluate.buckets import BucketTable
from deep_classiflie.model.classifier import binary_verdict

FEED_SCHEMA = 1
CHANNEL = "feed"  # the publications log's channel for the feed
FEED_FILE = "current_predictions.json"
# Probabilities are published to 6 decimals: more is noise (batch padding moves the 7th).
DECIMALS = 6


@dataclass(frozen=True)
class ModelContext:
    """What every item of one model's feed shares: its identity, bucket table and headline metrics."""

    model_id: int
    model_name: str
    buckets: BucketTable | None
    metrics: Mapping[str, Mapping[str, float | None]]  # scope → metric → value


def _number(value: object) -> float | None:
    """A JSON-safe float: NaN and None become null."""
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def metrics_by_scope(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Metric-history rows → ``{scope: {metric: value}}``, leaving out per-bucket scopes (``bucket:N``)."""
    out: dict[str, dict[str, float | None]] = {}
    for row in rows:
        scope = str(row["scope"])
        if not scope.startswith("bucket"):
            out.setdefault(scope, {})[str(row["metric"])] = _number(row["value"])
    return out


def scope_of(statement_type: str) -> str:
    """The bucket/metric scope of a statement type: ``tweet`` or ``non_tweet``."""
    return "tweet" if statement_type == "tweet" else "non_tweet"


def bucket_summary(buckets: BucketTable | None, confidence: float, statement_type: str) -> dict[str, Any] | None:
    """The stats of the confidence bucket a prediction falls into (None when the model has no bucket table)."""
    if buckets is None or len(buckets) == 0:
        return None
    stats = buckets.bucket_for(confidence, statement_type)
    return {
        "scope": stats.scope,
        "bucket": stats.bucket,
        "n": stats.n,
        "accuracy": _number(stats.accuracy),
        "ppv": _number(stats.ppv),
        "npv": _number(stats.npv),
    }


def item_metrics(metrics: Mapping[str, Mapping[str, float | None]], statement_type: str) -> dict[str, Any]:
    """The model's metrics over every statement and over the item's own scope (tweet / non_tweet)."""
    return {s: dict(metrics[s]) for s in ("all", scope_of(statement_type)) if s in metrics}


def source_url(row: Mapping[str, Any]) -> str | None:
    """Where the statement can be read: the URL its importer stored, else a tweet's status URL."""
    meta = row.get("meta") or {}
    if isinstance(meta, Mapping) and isinstance(meta.get("url"), str) and meta["url"]:
        return str(meta["url"])
    external = str(row.get("external_id") or "")
    if row.get("statement_type") == "tweet" and external.isdigit():
        return f"https://twitter.com/i/web/status/{external}"
    return None


def iso(value: dt.datetime | None) -> str | None:
    """ISO-8601 text of a naive-UTC store timestamp (None stays None)."""
    return None if value is None else value.isoformat()


def feed_item(
    row: Mapping[str, Any], probability: float, threshold: float, ctx: ModelContext
) -> tuple[dict[str, Any], int]:
    """The feed item of one scored statement and its predicted class (1 = falsehood, at the type's threshold)."""
    p = round(float(probability), DECIMALS)
    label, confidence = binary_verdict(p, threshold)
    stype = str(row["statement_type"])
    item = {
        "statement_id": int(row["statement_id"]),
        "text": str(row["text"]),
        "date": iso(row.get("statement_date")),
        "type": stype,
        "source_url": source_url(row),
        "probability": p,
        "label": label,
        "bucket": bucket_summary(ctx.buckets, confidence, stype),
        "global_metrics": item_metrics(ctx.metrics, stype),
        "model_version": ctx.model_id,
    }
    return item, int(p >= threshold)


def feed_document(ctx: ModelContext, items: Sequence[Mapping[str, Any]], generated_at: dt.datetime) -> dict[str, Any]:
    """The whole feed: schema, when it was built, the model, and the items (newest statement first)."""
    return {
        "schema": FEED_SCHEMA,
        "generated_at": generated_at.replace(microsecond=0).isoformat() + "Z",
        "model": {"id": ctx.model_id, "name": ctx.model_name},
        "items": list(items),
    }


def render(document: Mapping[str, Any]) -> bytes:
    """The document as UTF-8 JSON bytes (compact; what every sink stores)."""
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
