"""Step 5: balance the training split only (validation and test keep the natural class mix)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from deep_classiflie.dataset.records import Member


def oversample_copies(labels: Sequence[int], *, seed: int) -> list[int]:
    """Copies per row so every class reaches the largest class's count.

    Each row of a class with ``n_c`` rows gets ``N // n_c`` copies; the remaining ``N % n_c`` extra
    copies go to rows drawn without repeats by a seeded generator (classes in ascending order).
    """
    counts = Counter(labels)
    if not counts:
        return []
    most = max(counts.values())
    copies = [0] * len(labels)
    rng = np.random.default_rng(seed)
    for cls in sorted(counts):
        rows = [i for i, y in enumerate(labels) if y == cls]
        base, extra = divmod(most, len(rows))
        for i in rows:
            copies[i] = base
        for j in sorted(rng.choice(len(rows), size=extra, replace=False)) if extra else []:
            copies[rows[j]] += 1
    return copies


def class_weights(labels: Sequence[int]) -> dict[int, float]:
    """``n / (n_classes · n_c)`` per class: the sklearn "balanced" weights."""
    counts = Counter(labels)
    n, k = len(labels), len(counts)
    return {cls: round(n / (k * c), 6) for cls, c in sorted(counts.items())}


def balance_members(members: Sequence[Member], *, how: str, seed: int) -> list[Member]:
    """Members with training copies/weights set by ``how`` (oversample | class_weight | none)."""
    train_pos = [i for i, m in enumerate(members) if m.split == "train"]
    labels = [members[i].record.label for i in train_pos]
    out = list(members)
    if how == "oversample":
        for i, c in zip(train_pos, oversample_copies(labels, seed=seed), strict=True):
            out[i] = Member(members[i].record, "train", copies=c, weight=float(c))
    elif how == "class_weight":
        weights = class_weights(labels)
        for i in train_pos:
            out[i] = Member(members[i].record, "train", copies=1, weight=weights[members[i].record.label])
    return out
