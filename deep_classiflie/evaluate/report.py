"""The whole evaluation of one model on one labelled set, from plain arrays (no DB, no model).

:func:`evaluate_arrays` is the pure core the CLI, the bench and the service share: it takes
probabilities, labels, statement type ids, dates, word counts and statement ids, and returns every
metric (overall and per statement type, with bootstrap intervals), confidence buckets, temporal
confusion matrices and the reliability curve. :func:`metric_rows` flattens it for ``metric_history``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from deep_classiflie.config.evaluate import EvaluateConfig
from deep_classiflie.dataset.types import TYPE_IDS
from deep_classiflie.evaluate.buckets import BucketTable, bucket_table, confidence, scope_masks
from deep_classiflie.evaluate.calibration import Calibration, ReliabilityCurve, reliability_curve
from deep_classiflie.evaluate.metrics import Estimate, binary_metrics, confusion_matrices, with_bootstrap
from deep_classiflie.evaluate.temporal import PeriodConfusion, temporal_confusion
from deep_classiflie.model.thresholds import row_thresholds


@dataclass(frozen=True)
class Predictions:
    """Aligned arrays of one scored set: one entry per statement.

    ``probabilities`` is P(class 1) (1-D) for a binary task, ``[n, K]`` for a multi-class one.
    """

    statement_ids: np.ndarray
    probabilities: np.ndarray
    labels: np.ndarray
    type_ids: np.ndarray
    dates: np.ndarray
    word_counts: np.ndarray

    @property
    def binary(self) -> bool:
        return np.asarray(self.probabilities).ndim == 1

    def predicted(self, threshold: float | np.ndarray = 0.5) -> np.ndarray:
        """Predicted class of each row (threshold on P(class 1) when binary, one cut or one per row;
        arg-max otherwise)."""
        p = np.asarray(self.probabilities)
        return (p >= threshold).astype(np.int64) if self.binary else p.argmax(axis=1)

    def confidences(self) -> np.ndarray:
        """max(p, 1 - p) when binary, the top-class probability otherwise."""
        p = np.asarray(self.probabilities)
        return confidence(p) if self.binary else p.max(axis=1)

    def subset(self, mask: np.ndarray) -> Predictions:
        """Rows where ``mask`` is true."""
        return Predictions(
            self.statement_ids[mask],
            np.asarray(self.probabilities)[mask],
            self.labels[mask],
            self.type_ids[mask],
            self.dates[mask],
            self.word_counts[mask],
        )


@dataclass
class EvaluationResult:
    """Everything one evaluation produced."""

    split: str
    n: int
    num_classes: int
    metrics: dict[str, dict[str, Estimate]]  # scope → metric → estimate
    counts: dict[str, int]  # scope → rows
    confusion: dict[str, list[list[int]]]  # scope → [true][predicted]
    buckets: BucketTable | None
    temporal: list[PeriodConfusion]
    reliability: ReliabilityCurve
    calibration: Calibration | None = None
    extra: dict[str, float] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)  # the per-type cuts applied ({}: config's one)


AT_FIXED = ("mcc", "accuracy", "f1", "precision", "recall")  # also reported at config.threshold (0.5)


def evaluate_arrays(
    preds: Predictions,
    config: EvaluateConfig,
    *,
    split: str = "test",
    thresholds: Mapping[str, float] | None = None,
) -> EvaluationResult:
    """Score one labelled set.

    ``thresholds``: the model's decision cut per statement type (``model.thresholds``; binary only). With
    them, every threshold metric is at the type's cut, and ``<metric>@<config.threshold>`` (e.g.
    ``mcc@0.5``) and ``threshold`` per type scope are added; without them, ``config.threshold`` everywhere.

    Steps: 1) per scope (all, tweet, non_tweet) metrics with bootstrap intervals and the confusion
    matrix; 2) confidence buckets (binary only); 3) temporal confusion (binary only); 4) reliability.
    """
    num_classes = 2 if preds.binary else int(np.asarray(preds.probabilities).shape[1])
    per_type = bool(thresholds) and preds.binary
    cuts = (
        row_thresholds(preds.type_ids, thresholds or {}, TYPE_IDS, config.threshold)
        if per_type
        else np.full(len(preds.labels), config.threshold)
    )
    predicted = preds.predicted(cuts)
    metrics: dict[str, dict[str, Estimate]] = {}
    counts: dict[str, int] = {}
    confusion: dict[str, list[list[int]]] = {}
    # 1) scopes: "all" always; a statement type only when it has rows
    for scope, mask in scope_masks(preds.type_ids).items():
        if scope != "all" and not mask.any():
            continue
        sub = preds.subset(mask)
        metrics[scope] = with_bootstrap(
            sub.labels,
            sub.probabilities,
            threshold=cuts[mask],
            samples=config.bootstrap_samples,
            seed=config.bootstrap_seed,
            level=config.ci_level,
        )
        if per_type:
            fixed = binary_metrics(sub.labels, sub.probabilities, config.threshold)
            metrics[scope].update({f"{m}@{config.threshold:g}": Estimate(float(fixed[m])) for m in AT_FIXED})
            if scope != "all":
                metrics[scope]["threshold"] = Estimate(float(cuts[mask][0]))
        counts[scope] = len(sub.labels)
        confusion[scope] = confusion_matrices(sub.labels, predicted[mask], num_classes).tolist()
    # 2) + 3) buckets and time: the original's binary reports
    buckets, temporal = None, []
    if preds.binary and len(preds.labels):
        buckets = bucket_table(
            preds.probabilities,
            preds.labels,
            preds.type_ids,
            preds.word_counts,
            preds.statement_ids,
            config.buckets.model_dump(),
            cuts,
        )
        temporal = temporal_confusion(preds.dates, preds.labels, predicted, config.temporal_freq)
    # 4) reliability of the top-class confidence
    reliability = reliability_curve(preds.labels, preds.probabilities, config.calibration_bins)
    return EvaluationResult(
        split=split,
        n=len(preds.labels),
        num_classes=num_classes,
        metrics=metrics,
        counts=counts,
        confusion=confusion,
        buckets=buckets,
        temporal=temporal,
        reliability=reliability,
        thresholds={k: float(v) for k, v in (thresholds or {}).items()} if per_type else {},
    )


def _clean(x: float | None) -> float | None:
    return None if x is None or np.isnan(x) else float(x)


def metric_rows(result: EvaluationResult) -> list[dict[str, object]]:
    """Rows for ``metric_history``: (split, scope, metric, value, ci_low, ci_high), NaN as NULL.

    Besides the metrics: ``n`` per scope, ``ece`` (and the temperature when calibrated) under
    scope ``all``, and per-bucket accuracy under scope ``bucket:<scope>:<k>``.
    """
    rows: list[dict[str, object]] = []

    def add(scope: str, metric: str, value: float, lo: float = float("nan"), hi: float = float("nan")) -> None:
        rows.append(
            {
                "split": result.split,
                "scope": scope,
                "metric": metric,
                "value": _clean(value),
                "ci_low": _clean(lo),
                "ci_high": _clean(hi),
            }
        )

    for scope, estimates in result.metrics.items():
        add(scope, "n", float(result.counts[scope]))
        for metric, est in estimates.items():
            add(scope, metric, est.value, est.ci_low, est.ci_high)
    add("all", "ece", result.reliability.ece)
    if result.calibration is not None:
        add("all", "temperature", result.calibration.temperature)
    if result.buckets is not None:
        for b in result.buckets.rows():
            add(f"bucket:{b.scope}:{b.bucket}", "accuracy", b.accuracy)
    for key, value in result.extra.items():
        add("all", key, value)
    return rows


def result_summary(result: EvaluationResult) -> dict[str, object]:
    """A JSON-ready dict of everything in ``result`` (metrics, confusion, buckets, time, reliability)."""

    def est(e: Estimate) -> dict[str, float | None]:
        return {"value": _clean(e.value), "ci_low": _clean(e.ci_low), "ci_high": _clean(e.ci_high)}

    return {
        "split": result.split,
        "n": result.n,
        "num_classes": result.num_classes,
        "metrics": {s: {m: est(e) for m, e in ms.items()} for s, ms in result.metrics.items()},
        "counts": result.counts,
        "confusion": result.confusion,
        "buckets": [b.as_row() for b in result.buckets.rows()] if result.buckets else [],
        "temporal": [
            {
                **{k: getattr(p, k) for k in ("n", "tp", "tn", "fp", "fn")},
                "start": str(p.start),
                "end": str(p.end),
                "accuracy": _clean(p.accuracy),
                "mcc": _clean(p.mcc),
            }
            for p in result.temporal
        ],
        "reliability": {
            "edges": result.reliability.edges,
            "counts": result.reliability.counts,
            "mean_confidence": [_clean(x) for x in result.reliability.mean_confidence],
            "accuracy": [_clean(x) for x in result.reliability.accuracy],
            "ece": result.reliability.ece,
        },
        "calibration": None if result.calibration is None else vars(result.calibration),
        "extra": result.extra,
        "thresholds": result.thresholds,
    }
