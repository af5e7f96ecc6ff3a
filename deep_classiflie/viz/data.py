"""The explorers' data, computed from stored rows (pure: rows in, plain lists and dicts out).

Nothing here re-scores a statement: predictions, labels, buckets and metrics are what the evaluate stage
stored. Bucket membership is recomputed exactly as the evaluate stage cut it (NTILE over confidence,
ties by statement id, one table per scope), so the rows per bucket equal the stored ``n``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from deep_classiflie.evaluate.buckets import ntile
from deep_classiflie.evaluate.calibration import reliability_curve
from deep_classiflie.evaluate.temporal import temporal_confusion

CONFUSION = ("TP", "TN", "FP", "FN")
LABELS = {1: "likely falsehood", 0: "not flagged"}
SCOPE_TITLES = {"all": "all", "non_tweet": "non-tweets", "tweet": "tweets"}
# The original sampled the prediction explorer from the buckets with the extreme PPV and accuracy.
EXTREMES = (
    ("ppv", max, "max PPV"),
    ("ppv", min, "min PPV"),
    ("accuracy", max, "max accuracy"),
    ("accuracy", min, "min accuracy"),
)


def scope_of(statement_type: str) -> str:
    """The bucket scope a statement type belongs to (``tweet`` or ``non_tweet``)."""
    return "tweet" if statement_type == "tweet" else "non_tweet"


def confusion_class(label: int, predicted: int) -> str:
    """TP/TN/FP/FN of one binary prediction (positive = likely falsehood)."""
    if predicted == 1:
        return "TP" if label == 1 else "FP"
    return "FN" if label == 1 else "TN"


def safe_url(url: object) -> str:
    """``url`` when it is an absolute http(s) URL with a host, else "" (never a javascript: or data: link)."""
    if not isinstance(url, str):
        return ""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def day(value: object) -> str:
    """YYYY-MM-DD of a date, datetime or ISO string; "" when unknown."""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, str) and value:
        return value[:10]
    return ""


def _num(value: object) -> float:
    """A float for a table cell; NULL and NaN become NaN (shown blank)."""
    if value is None:
        return math.nan
    return float(value)  # type: ignore[arg-type]


def bucket_index(buckets: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Stored bucket rows by scope, each list in bucket order."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for b in sorted(buckets, key=lambda b: (str(b["scope"]), int(b["bucket"]))):
        out.setdefault(str(b["scope"]), []).append(b)
    return out


def assign_buckets(rows: Sequence[Mapping[str, Any]], n_buckets: int, *, scope: str) -> dict[int, int]:
    """statement id → bucket of ``scope``'s rows, cut as the evaluate stage cut them (NTILE, ties by id)."""
    sel = [r for r in rows if scope == "all" or scope_of(str(r["statement_type"])) == scope]
    if not sel or n_buckets < 1:
        return {}
    ids = np.array([int(r["statement_id"]) for r in sel])
    conf = np.array([float(r["confidence"]) for r in sel])
    return dict(zip(ids.tolist(), ntile(conf, n_buckets, tie_break=ids).tolist(), strict=True))


@dataclass(frozen=True)
class Scored:
    """The scored test split, one dict per statement, and the stored buckets by scope."""

    rows: list[dict[str, Any]]
    buckets: dict[str, list[Mapping[str, Any]]]


def annotate(rows: Sequence[Mapping[str, Any]], buckets: Sequence[Mapping[str, Any]]) -> Scored:
    """Add confusion class, labels as text and the statement type's bucket (with its stats) to each row.

    Steps: 1) index the stored buckets by scope; 2) recompute membership per scope (``all`` too, for the
    per-bucket confusion chart); 3) one flat row per statement for the explorers.
    """
    index = bucket_index(buckets)
    member = {scope: assign_buckets(rows, len(bs), scope=scope) for scope, bs in index.items()}
    out = []
    for r in rows:
        sid, scope = int(r["statement_id"]), scope_of(str(r["statement_type"]))
        b = member.get(scope, {}).get(sid)
        stats = index[scope][b - 1] if b is not None else {}
        label, predicted = int(r["label"]), int(r["predicted_label"])
        out.append(
            {
                "statement_id": sid,
                "date": day(r["statement_date"]),
                "type": str(r["statement_type"]),
                "scope": scope,
                "text": str(r["text"]),
                "probability": float(r["probability"]),
                "confidence": float(r["confidence"]),
                "predicted": LABELS.get(predicted, str(predicted)),
                "actual": LABELS.get(label, str(label)),
                "confusion": confusion_class(label, predicted),
                "bucket": -1 if b is None else int(b),
                "bucket_all": member.get("all", {}).get(sid, -1),
                "bucket_accuracy": _num(stats.get("accuracy")),
                "bucket_ppv": _num(stats.get("ppv")),
                "bucket_npv": _num(stats.get("npv")),
                "label": label,
                "predicted_label": predicted,
                "raw_date": r["statement_date"],
            }
        )
    return Scored(out, index)


def extreme_buckets(buckets: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[tuple[str, str, int]]:
    """(group name, scope, bucket) of the max/min PPV and accuracy buckets of each statement-type scope.

    Buckets whose metric is undefined (no positive predictions for PPV) are skipped; ties go to the
    lowest bucket number.
    """
    out = []
    for scope in ("non_tweet", "tweet"):
        table = buckets.get(scope) or []
        for metric, pick, name in EXTREMES:
            known = [b for b in table if b.get(metric) is not None and not math.isnan(float(b[metric]))]
            if known:
                value = pick(float(b[metric]) for b in known)
                chosen = next(b for b in known if float(b[metric]) == value)
                out.append((f"{name} ({SCOPE_TITLES[scope]})", scope, int(chosen["bucket"])))
    return out


def sample_extremes(scored: Scored, per_bucket: int, seed: int) -> dict[int, list[str]]:
    """statement id → the extreme-bucket groups it was sampled into (seeded; the same store gives the same ids)."""
    rng = np.random.default_rng(seed)
    groups: dict[int, list[str]] = {}
    for name, scope, bucket in extreme_buckets(scored.buckets):
        ids = sorted(r["statement_id"] for r in scored.rows if r["scope"] == scope and r["bucket"] == bucket)
        take = min(per_bucket, len(ids))
        for sid in sorted(rng.choice(ids, size=take, replace=False).tolist()) if take else []:
            groups.setdefault(int(sid), []).append(name)
    return groups


def _scope_rows(rows: Iterable[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    return [r for r in rows if scope == "all" or r["scope"] == scope]


def weekly_confusion(rows: Sequence[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    """Per week (Monday start) of the test window: start, n and TP/TN/FP/FN counts and proportions."""
    sel = _scope_rows(rows, scope)
    dates = np.array([np.datetime64(r["raw_date"], "s") if r["raw_date"] else np.datetime64("NaT") for r in sel])
    labels = np.array([r["label"] for r in sel], dtype=np.int64)
    predicted = np.array([r["predicted_label"] for r in sel], dtype=np.int64)
    out = []
    for p in temporal_confusion(dates.astype("datetime64[s]"), labels, predicted, "W"):
        counts = {k: getattr(p, k.lower()) for k in CONFUSION}
        out.append({"start": str(p.start), "n": p.n, **counts, **{f"{k}_share": counts[k] / p.n for k in CONFUSION}})
    return out


def bucket_confusion(rows: Sequence[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    """Per confidence bucket of ``scope`` (``all`` uses the all-statements buckets): n and TP/TN/FP/FN."""
    key = "bucket_all" if scope == "all" else "bucket"
    counts: dict[int, dict[str, int]] = {}
    for r in _scope_rows(rows, scope):
        if r[key] >= 1:
            c = counts.setdefault(int(r[key]), dict.fromkeys(CONFUSION, 0))
            c[r["confusion"]] += 1
    out = []
    for b in sorted(counts):
        n = sum(counts[b].values())
        out.append({"bucket": b, "n": n, **counts[b], **{f"{k}_share": counts[b][k] / n for k in CONFUSION}})
    return out


def reliability(rows: Sequence[dict[str, Any]], bins: int) -> dict[str, Any]:
    """Reliability curve (non-empty bins only) and ECE of the stored probabilities of every row."""
    labels = np.array([r["label"] for r in rows], dtype=np.int64)
    probs = np.array([r["probability"] for r in rows], dtype=np.float64)
    curve = reliability_curve(labels, probs, bins)
    keep = [i for i, n in enumerate(curve.counts) if n > 0]
    return {
        "confidence": [curve.mean_confidence[i] for i in keep],
        "accuracy": [curve.accuracy[i] for i in keep],
        "n": [curve.counts[i] for i in keep],
        "ece": curve.ece,
    }


def metric_series(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, list[Any]]]:
    """ "metric · collection (split)" → model labels and values, keeping each version's newest evaluation."""
    newest: dict[tuple[str, str, int], Mapping[str, Any]] = {}
    for r in rows:  # ordered by version then time: later rows overwrite
        dataset = f"{r['collection_name'] or 'labelled range'} ({r['split']})"
        newest[(str(r["metric"]), dataset, int(r["model_version_id"]))] = r
    out: dict[str, dict[str, list[Any]]] = {}
    for (metric, dataset, _), r in sorted(newest.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        s = out.setdefault(f"{metric} · {dataset}", {"model": [], "name": [], "value": []})
        s["model"].append(f"#{r['model_version_id']}")  # short axis label; the name is in the hover
        s["name"].append(str(r["model_name"]))
        s["value"].append(_num(r["value"]))
    return out


def words_by_statement(explanations: Sequence[Mapping[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """statement id → the stored card's word attributions (word, score), newest card winning."""
    out: dict[int, list[dict[str, Any]]] = {}
    for e in sorted(explanations, key=lambda e: int(e["id"])):
        card = e.get("card") or {}
        words = card.get("words") if isinstance(card, Mapping) else None
        if e.get("statement_id") is not None and isinstance(words, list):
            out[int(e["statement_id"])] = [
                {"word": str(w.get("word", "")), "score": float(w.get("score") or 0.0)} for w in words
            ]
    return out
