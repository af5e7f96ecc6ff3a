"""Validation metrics used for early stopping and checkpoint ranking (loss, MCC, ROC AUC, accuracy)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import matthews_corrcoef, roc_auc_score

# Whether a larger value is better, per monitorable metric.
HIGHER_IS_BETTER = {"val_loss": False, "val_mcc": True, "val_auc": True, "val_acc": True}


def classification_metrics(probs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """MCC, AUC (one-vs-rest macro for multi-class; 0.5 when a class is absent) and accuracy."""
    pred = probs.argmax(axis=1)
    out = {"val_acc": float((pred == labels).mean()) if len(labels) else 0.0}
    out["val_mcc"] = float(matthews_corrcoef(labels, pred)) if len(set(labels.tolist())) > 1 else 0.0
    try:
        if probs.shape[1] == 2:
            out["val_auc"] = float(roc_auc_score(labels, probs[:, 1]))
        else:
            out["val_auc"] = float(roc_auc_score(labels, probs, multi_class="ovr", labels=list(range(probs.shape[1]))))
    except ValueError:  # a single class in the split: AUC undefined
        out["val_auc"] = 0.5
    return out


def is_improvement(metric: str, value: float, best: float | None) -> bool:
    """Whether ``value`` beats ``best`` for ``metric``."""
    if best is None:
        return True
    return value < best if not HIGHER_IS_BETTER[metric] else value > best
