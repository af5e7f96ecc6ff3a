"""Decision thresholds per statement type, chosen on validation; ``thresholds.json`` in the model folder.

A binary model's P(falsehood) is only comparable within a statement type: tweets and spoken statements
differ in base rate and in how sure the model is, so one 0.5 cut can call no tweet a falsehood. The
threshold of each type (``tweet``, ``non_tweet``) maximises an objective on the validation split (MCC by
default); a type whose validation rows hold fewer than ``min_per_class`` of either class (one class only, at
the least) takes the threshold of all rows: the best cut of 13 falsehoods is mostly noise (on the demo's test
split, the tweet cut chosen from 13 validation falsehoods gave all rows an MCC of 0.359; the cut of all rows, 0.406).

The best cut of one small validation set is noisy (a flat MCC curve with a lucky peak far from the bulk), so
by default the cut is *bagged*: the median of the best cuts of ``bootstrap`` seeded resamples of the rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from deep_classiflie.model.classifier import THRESHOLDS_FILE

OBJECTIVES = ("mcc", "f1", "youden", "accuracy", "fixed")


def _objective(tp: np.ndarray, tn: np.ndarray, fp: np.ndarray, fn: np.ndarray, name: str) -> np.ndarray:
    tp, tn, fp, fn = (np.asarray(v, dtype=np.float64) for v in (tp, tn, fp, fn))
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "mcc":
            den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
            out = np.where(den > 0, (tp * tn - fp * fn) / den, 0.0)
        elif name == "f1":
            out = np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        elif name == "youden":
            out = tp / np.maximum(tp + fn, 1) + tn / np.maximum(tn + fp, 1) - 1.0
        elif name == "accuracy":
            out = (tp + tn) / np.maximum(tp + tn + fp + fn, 1)
        else:
            raise ValueError(f"unknown threshold objective {name!r}; use one of {OBJECTIVES}")
    return np.asarray(out)


def choose_threshold(labels: np.ndarray, probabilities: np.ndarray, objective: str = "mcc") -> float:
    """The cut ``t`` (predict 1 when ``p >= t``) that maximises ``objective`` on these rows.

    Steps: 1) sort by probability; 2) every midpoint between distinct neighbouring probabilities is a
    candidate (plus one below all and one above all); 3) confusion counts of all candidates at once from
    cumulative sums; 4) the best candidate, ties broken towards 0.5 (the least surprising cut).
    ``fixed`` (or a set with one class only) returns 0.5.
    """
    y = np.asarray(labels).astype(bool)
    p = np.asarray(probabilities, dtype=np.float64)
    if objective == "fixed" or len(y) == 0 or y.all() or not y.any():
        return 0.5
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    # 2) cuts: above everything, then after each run of equal probabilities (descending)
    last_of_run = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    below = np.r_[p_sorted[1:], p_sorted[-1] - 1.0][last_of_run]
    cuts = np.r_[min(1.0, p_sorted[0] + 1e-6), (p_sorted[last_of_run] + below) / 2.0]
    # 3) counts predicted positive at each cut = rows with p above it
    tp = np.r_[0, np.cumsum(y_sorted)[last_of_run]]
    fp = np.r_[0, np.cumsum(~y_sorted)[last_of_run]]
    pos, neg = int(y.sum()), int((~y).sum())
    score = _objective(tp, neg - fp, fp, pos - tp, objective)
    # 4) best, nearest to 0.5 among ties (float noise tolerated)
    best = np.flatnonzero(score >= score.max() - 1e-12)
    pick = best[np.argmin(np.abs(cuts[best] - 0.5))]
    return float(np.clip(cuts[pick], 1e-6, 1.0))


def bagged_threshold(
    labels: np.ndarray, probabilities: np.ndarray, objective: str = "mcc", *, bootstrap: int = 200, seed: int = 0
) -> float:
    """The median of :func:`choose_threshold` over ``bootstrap`` seeded resamples (0: the plain best cut).

    Resamples holding one class only are skipped; with none left, the plain best cut."""
    y, p = np.asarray(labels), np.asarray(probabilities, dtype=np.float64)
    if bootstrap <= 0 or objective == "fixed" or len(np.unique(y)) < 2:
        return choose_threshold(y, p, objective)
    rng = np.random.default_rng(seed)
    cuts = []
    for _ in range(bootstrap):
        idx = rng.integers(0, len(y), len(y))
        if len(np.unique(y[idx])) == 2:
            cuts.append(choose_threshold(y[idx], p[idx], objective))
    return float(np.median(cuts)) if cuts else choose_threshold(y, p, objective)


def choose_thresholds(
    labels: np.ndarray,
    probabilities: np.ndarray,
    type_ids: np.ndarray,
    types: Mapping[str, int],
    objective: str = "mcc",
    *,
    bootstrap: int = 0,
    seed: int = 0,
    min_per_class: int = 1,
) -> dict[str, float]:
    """``{"all": t, "tweet": t, "non_tweet": t}`` for the types present in these (validation) rows.

    ``types`` maps type name → type id (``dataset.types.TYPE_IDS``); ``bootstrap`` > 0 bags each cut
    (:func:`bagged_threshold`); a type with fewer than ``min_per_class`` rows of either class takes the
    cut of all rows (:func:`sparse_types` names them)."""
    y, p, t = np.asarray(labels), np.asarray(probabilities, dtype=np.float64), np.asarray(type_ids)

    def choose(yy: np.ndarray, pp: np.ndarray) -> float:
        return bagged_threshold(yy, pp, objective, bootstrap=bootstrap, seed=seed)

    out = {"all": choose(y, p)}
    sparse = sparse_types(y, t, types, min_per_class)
    for name, tid in types.items():
        mask = t == tid
        if not mask.any():
            continue
        out[name] = out["all"] if name in sparse else choose(y[mask], p[mask])
    return out


def sparse_types(
    labels: np.ndarray, type_ids: np.ndarray, types: Mapping[str, int], min_per_class: int
) -> dict[str, str]:
    """The types present in these rows that hold fewer than ``min_per_class`` (at least 1) rows of a class,
    each with the reason (``"13 of class 1 (fewer than 30)"``)."""
    y, t = np.asarray(labels), np.asarray(type_ids)
    classes = np.unique(y)
    if len(classes) < 2:
        classes = np.array([0, 1])
    floor = max(1, int(min_per_class))
    out = {}
    for name, tid in types.items():
        mask = t == tid
        if not mask.any():
            continue
        counts = {int(c): int((y[mask] == c).sum()) for c in classes}
        short = min(counts, key=lambda c: counts[c])
        if counts[short] < floor:
            out[name] = f"{counts[short]} of class {short} (fewer than {floor})"
    return out


def row_thresholds(
    type_ids: np.ndarray, thresholds: Mapping[str, float], types: Mapping[str, int], default: float = 0.5
) -> np.ndarray:
    """The threshold of each row by its type id (types without one: ``all``, else ``default``)."""
    fallback = float(thresholds.get("all", default))
    by_id = {tid: float(thresholds.get(name, fallback)) for name, tid in types.items()}
    t = np.asarray(type_ids)
    out = np.full(len(t), fallback, dtype=np.float64)
    for tid, value in by_id.items():
        out[t == tid] = value
    return out


def save_thresholds(folder: Path, thresholds: Mapping[str, float], *, objective: str, info: dict[str, Any]) -> Path:
    """Write ``thresholds.json`` (read back by ``model.classifier.load_thresholds``)."""
    path = Path(folder) / THRESHOLDS_FILE
    body = {"objective": objective, "thresholds": {k: round(float(v), 6) for k, v in thresholds.items()}, **info}
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return path
