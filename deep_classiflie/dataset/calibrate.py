"""Calibrate the embedding filter's distance threshold on data.

Positives: pairs of falsehoods the list marks as the same claim restated (same ``slug`` in the Toronto
Star list) with different text. Negatives: random pairs of different claims. The suggested threshold
is the distance below which only ``fpr`` of the random pairs fall; the report also gives the share
of restatements it catches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from deep_classiflie.dataset.neighbours import unit_rows


def repeat_pairs(groups: Sequence[str], text_hashes: Sequence[str], *, max_per_group: int = 50) -> np.ndarray:
    """Index pairs ``[n, 2]`` within each group whose texts differ (first ``max_per_group`` per group)."""
    members: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        if g:
            members[g].append(i)
    pairs = []
    for g in sorted(members):
        idx = members[g]
        found = [(a, b) for n, a in enumerate(idx) for b in idx[n + 1 :] if text_hashes[a] != text_hashes[b]]
        pairs.extend(found[:max_per_group])
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def random_pairs(groups: Sequence[str], *, n_pairs: int, seed: int) -> np.ndarray:
    """``n_pairs`` seeded random index pairs from different groups."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, len(groups), size=n_pairs * 2)
    b = rng.integers(0, len(groups), size=n_pairs * 2)
    keep = [(i, j) for i, j in zip(a, b, strict=True) if i != j and groups[i] != groups[j]][:n_pairs]
    return np.array(keep, dtype=np.int64).reshape(-1, 2)


def pair_distances(emb: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """L2 distance between the unit-normalised rows of each pair."""
    unit = unit_rows(emb)
    return np.linalg.norm(unit[pairs[:, 0]] - unit[pairs[:, 1]], axis=1)


def calibrate(
    emb: np.ndarray, groups: Sequence[str], text_hashes: Sequence[str], *, fpr: float = 1e-3, seed: int = 0
) -> dict[str, Any]:
    """Distance quantiles of restatements vs random pairs and the threshold at false-positive rate ``fpr``."""
    pos = pair_distances(emb, repeat_pairs(groups, text_hashes))
    neg = pair_distances(emb, random_pairs(groups, n_pairs=200_000, seed=seed))
    threshold = float(np.quantile(neg, fpr))
    qs = (0.01, 0.05, 0.25, 0.5)
    return {
        "repeat_pairs": len(pos),
        "random_pairs": len(neg),
        "repeat_quantiles": {f"q{q:g}": round(float(np.quantile(pos, q)), 4) for q in qs} if len(pos) else {},
        "random_quantiles": {f"q{q:g}": round(float(np.quantile(neg, q)), 4) for q in (fpr, *qs)},
        "threshold": round(threshold, 4),
        "repeat_recall": round(float((pos < threshold).mean()), 4) if len(pos) else None,
    }
