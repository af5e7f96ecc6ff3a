"""Classification metrics in one place: pure numpy, vectorised over bootstrap resamples.

Every function takes arrays whose *last* axis runs over statements, so the same code computes the
point estimate (shape ``[n]``) and all bootstrap replicates at once (shape ``[B, n]``). The tests
check each metric against scikit-learn on random data.

Conventions: class 1 is the positive class (falsehood); a metric that is undefined on a sample
(AUC with one class only, precision with no positive predictions) is NaN, except MCC which is 0
when a margin is empty, as scikit-learn reports it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

BINARY_METRICS = (
    "auc",
    "mcc",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "tp_ratio",
    "tn_ratio",
    "fp_ratio",
    "fn_ratio",
)
MULTICLASS_METRICS = ("accuracy", "macro_f1", "mcc")


@dataclass(frozen=True)
class Estimate:
    """A metric value with its bootstrap confidence interval (NaN bounds when not bootstrapped)."""

    value: float
    ci_low: float = float("nan")
    ci_high: float = float("nan")


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with NaN where den == 0."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties) along the last axis."""
    labels = np.asarray(labels) == 1
    ranks = rankdata(np.asarray(scores, dtype=np.float64), method="average", axis=-1)
    n_pos = labels.sum(axis=-1)
    n_neg = labels.shape[-1] - n_pos
    u = (ranks * labels).sum(axis=-1) - n_pos * (n_pos + 1) / 2.0
    return _div(u, n_pos * n_neg)


def binary_counts(labels: np.ndarray, predicted: np.ndarray) -> dict[str, np.ndarray]:
    """TP/TN/FP/FN counts along the last axis."""
    y, p = np.asarray(labels) == 1, np.asarray(predicted) == 1
    return {
        "tp": (y & p).sum(axis=-1),
        "tn": (~y & ~p).sum(axis=-1),
        "fp": (~y & p).sum(axis=-1),
        "fn": (y & ~p).sum(axis=-1),
    }


def binary_from_counts(tp: ArrayLike, tn: ArrayLike, fp: ArrayLike, fn: ArrayLike) -> dict[str, np.ndarray]:
    """Threshold metrics from confusion counts (vectorised)."""
    tp, tn, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, tn, fp, fn))
    n = tp + tn + fp + fn
    precision, recall = _div(tp, tp + fp), _div(tp, tp + fn)
    # MCC: 0 when any margin is empty (scikit-learn's convention).
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = np.nan_to_num(_div(tp * tn - fp * fn, den), nan=0.0)
    return {
        "mcc": mcc,
        "accuracy": _div(tp + tn, n),
        "precision": precision,
        "recall": recall,
        "f1": _div(2 * tp, 2 * tp + fp + fn),
        "tp_ratio": _div(tp, n),
        "tn_ratio": _div(tn, n),
        "fp_ratio": _div(fp, n),
        "fn_ratio": _div(fn, n),
    }


def binary_metrics(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float | np.ndarray = 0.5
) -> dict[str, np.ndarray]:
    """AUC plus every threshold metric of :data:`BINARY_METRICS`, along the last axis (``threshold``: one
    cut, or one per row)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    predicted = (probabilities >= threshold).astype(np.int64)
    out = {"auc": roc_auc(labels, probabilities)}
    out.update(binary_from_counts(**binary_counts(labels, predicted)))
    return out


def confusion_matrices(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Confusion matrices ``[..., true, predicted]`` along the last axis, via one bincount."""
    y, p = np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    lead = y.shape[:-1]
    rows = int(np.prod(lead)) if lead else 1
    offsets = np.arange(rows, dtype=np.int64).reshape(*lead, 1) * num_classes * num_classes if lead else 0
    flat = (offsets + y * num_classes + p).ravel()
    counts = np.bincount(flat, minlength=rows * num_classes * num_classes)
    return counts.reshape(*lead, num_classes, num_classes)


def multiclass_from_confusion(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, macro-F1 and multi-class MCC (Gorodkin's R_K) from ``[..., K, K]`` matrices."""
    cm = np.asarray(cm, dtype=np.float64)
    n = cm.sum(axis=(-2, -1))
    correct = np.trace(cm, axis1=-2, axis2=-1)
    true_k, pred_k = cm.sum(axis=-1), cm.sum(axis=-2)
    tp_k = np.diagonal(cm, axis1=-2, axis2=-1)
    # Macro-F1 over classes present in labels or predictions (scikit-learn averages every class
    # it is told about and counts an absent one as 0; we pass it the classes present).
    present = (true_k + pred_k) > 0
    f1_k = np.where(present, _div(2 * tp_k, true_k + pred_k), 0.0)
    macro_f1 = _div(f1_k.sum(axis=-1), present.sum(axis=-1))
    cov_yp = correct * n - (true_k * pred_k).sum(axis=-1)
    cov_yy = n * n - (true_k * true_k).sum(axis=-1)
    cov_pp = n * n - (pred_k * pred_k).sum(axis=-1)
    mcc = np.nan_to_num(_div(cov_yp, np.sqrt(cov_yy * cov_pp)), nan=0.0)
    return {"accuracy": _div(correct, n), "macro_f1": macro_f1, "mcc": mcc}


def multiclass_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, np.ndarray]:
    """Multi-class metrics of arg-max predictions; ``probabilities`` is ``[..., n, K]``."""
    probabilities = np.asarray(probabilities)
    predicted = probabilities.argmax(axis=-1)
    return multiclass_from_confusion(confusion_matrices(labels, predicted, probabilities.shape[-1]))


def bootstrap_indices(n: int, samples: int, seed: int) -> np.ndarray:
    """``[samples, n]`` resampling indices from a seeded generator (same seed → same intervals)."""
    return np.random.default_rng(seed).integers(0, n, size=(samples, n))


def with_bootstrap(
    labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    threshold: float | np.ndarray = 0.5,
    samples: int = 1000,
    seed: int = 42,
    level: float = 0.95,
    chunk: int = 200,
) -> dict[str, Estimate]:
    """Point estimates and percentile bootstrap intervals of every metric of the task.

    Binary when ``probabilities`` is 1-D (P(class 1)), multi-class when it is ``[n, K]``. ``threshold`` is
    one cut for every row or one per row (per-type thresholds); per-row cuts are resampled with their rows.
    Steps: 1) point estimate on all rows; 2) resample rows ``samples`` times (seeded), in
    chunks to bound memory; 3) the ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles of
    each metric over the resamples where it is defined.
    """
    labels, probabilities = np.asarray(labels), np.asarray(probabilities, dtype=np.float64)
    n = len(labels)
    cuts = np.broadcast_to(np.asarray(threshold, dtype=np.float64), labels.shape)

    def compute(y: np.ndarray, p: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        if probabilities.ndim == 1:
            return binary_metrics(y, p, t)
        return multiclass_metrics(y, p)

    # 1) point estimates
    point = {k: float(v) for k, v in compute(labels, probabilities, cuts).items()}
    if n == 0 or samples <= 0:
        return {k: Estimate(v) for k, v in point.items()}
    # 2) resamples, vectorised per chunk
    idx = bootstrap_indices(n, samples, seed)
    draws: dict[str, list[np.ndarray]] = {k: [] for k in point}
    for start in range(0, samples, chunk):
        rows = idx[start : start + chunk]
        for key, values in compute(labels[rows], probabilities[rows], cuts[rows]).items():
            draws[key].append(values)
    # 3) percentile intervals
    lo_q, hi_q = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    out: dict[str, Estimate] = {}
    for key, value in point.items():
        values = np.concatenate(draws[key])
        values = values[~np.isnan(values)]
        if len(values) == 0:
            out[key] = Estimate(value)
        else:
            lo, hi = np.percentile(values, [lo_q, hi_q])
            out[key] = Estimate(value, float(lo), float(hi))
    return out
