"""Calibration: reliability curve, expected calibration error, temperature scaling.

Temperature scaling divides the logits by one scalar ``T`` fitted on the validation split by
minimising the negative log-likelihood (scipy L-BFGS-B on log T, so T stays positive). It changes
confidence, never the arg-max, so accuracy and AUC are unchanged. The fitted ``T`` is stored as
``calibration.json`` next to the model and in the store.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax

from deep_classiflie.core.errors import ModelError

CALIBRATION_FILE = "calibration.json"
_EPS = 1e-12


@dataclass(frozen=True)
class ReliabilityCurve:
    """Per equal-width confidence bin: rows, mean confidence, accuracy (NaN for empty bins)."""

    edges: list[float]
    counts: list[int]
    mean_confidence: list[float]
    accuracy: list[float]
    ece: float


@dataclass(frozen=True)
class Calibration:
    """A fitted temperature with the validation NLL and ECE before and after."""

    method: str
    temperature: float
    fitted_on: str
    n: int
    nll_before: float
    nll_after: float
    ece_before: float
    ece_after: float


def as_matrix(probabilities: np.ndarray) -> np.ndarray:
    """``[n, K]`` class probabilities; a 1-D array is P(class 1) of a binary task."""
    p = np.asarray(probabilities, dtype=np.float64)
    return np.stack([1.0 - p, p], axis=1) if p.ndim == 1 else p


def reliability_curve(labels: np.ndarray, probabilities: np.ndarray, bins: int = 15) -> ReliabilityCurve:
    """Reliability of the top-class confidence in ``bins`` equal-width bins, and the ECE.

    ECE = sum over bins of (rows in bin / rows) * |accuracy - mean confidence|.
    """
    probs = as_matrix(probabilities)
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    correct = (pred == np.asarray(labels)).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Right-closed bins (0, 1/b], … so a confidence of exactly 1 lands in the last bin.
    which = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    sum_conf = np.bincount(which, weights=conf, minlength=bins)
    sum_acc = np.bincount(which, weights=correct, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf, acc = sum_conf / counts, sum_acc / counts
    n = max(len(conf), 1)
    ece = float(np.nansum(counts / n * np.abs(acc - mean_conf)))
    return ReliabilityCurve(edges.tolist(), counts.tolist(), mean_conf.tolist(), acc.tolist(), ece)


def logits_from_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """Log-probabilities ``[n, K]``: logits up to a per-row constant, which softmax ignores."""
    return np.log(np.clip(as_matrix(probabilities), _EPS, 1.0))


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / T) as ``[n, K]`` probabilities."""
    return np.exp(log_softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=1))


def _nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    logp = log_softmax(logits / temperature, axis=1)
    return float(-logp[np.arange(len(labels)), labels].mean())


def fit_temperature(
    labels: np.ndarray, *, logits: np.ndarray | None = None, probabilities: np.ndarray | None = None, bins: int = 15
) -> Calibration:
    """Fit ``T`` on validation logits (or probabilities, turned into log-probabilities).

    Steps: 1) logits; 2) minimise NLL over log T with L-BFGS-B from T = 1; 3) ECE before and after.
    """
    y = np.asarray(labels, dtype=np.int64)
    if logits is None:
        if probabilities is None:
            raise ValueError("fit_temperature needs logits or probabilities")
        logits = logits_from_probabilities(probabilities)
    z = np.asarray(logits, dtype=np.float64)
    if len(y) == 0:
        raise ModelError(
            "cannot fit a temperature on an empty validation split",
            hint="build a dataset with a non-empty val split, or set evaluate.temperature_scaling=false",
        )
    result = minimize(
        lambda v: _nll(z, y, float(np.exp(v[0]))), x0=np.zeros(1), method="L-BFGS-B", bounds=[(-5.0, 5.0)]
    )
    t = float(np.exp(result.x[0]))
    before, after = apply_temperature(z, 1.0), apply_temperature(z, t)
    return Calibration(
        method="temperature",
        temperature=t,
        fitted_on="val",
        n=len(y),
        nll_before=_nll(z, y, 1.0),
        nll_after=_nll(z, y, t),
        ece_before=reliability_curve(y, before, bins).ece,
        ece_after=reliability_curve(y, after, bins).ece,
    )


def calibrate(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Apply a fitted temperature to probabilities; returns the same shape (1-D stays P(class 1))."""
    p = np.asarray(probabilities, dtype=np.float64)
    out = apply_temperature(logits_from_probabilities(p), temperature)
    return out[:, 1] if p.ndim == 1 else out


def save_calibration(calibration: Calibration, model_dir: Path) -> Path:
    """Write ``calibration.json`` next to the model's weights."""
    path = Path(model_dir) / CALIBRATION_FILE
    path.write_text(json.dumps(asdict(calibration), indent=2) + "\n", encoding="utf-8")
    return path


def load_calibration(model_dir: Path) -> Calibration | None:
    """The model's fitted calibration, or None when it has none."""
    path = Path(model_dir) / CALIBRATION_FILE
    if not path.is_file():
        return None
    try:
        return Calibration(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise ModelError(
            f"{path} is not a valid calibration file ({exc})",
            hint="delete it and re-run `deep-classiflie evaluate` with evaluate.temperature_scaling=true",
        ) from exc
