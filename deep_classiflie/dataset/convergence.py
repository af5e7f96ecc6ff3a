"""Step 3: resample truths so their word-count distribution follows the falsehoods'.

Without it a model learns "long statement = false" (speeches are longer than tweets). The draw is
per length bin, without repeats, seeded; bins with too few truths keep all they have (a shortfall
the report shows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import ks_2samp

from deep_classiflie.dataset.records import Record


@dataclass(frozen=True)
class ConvergenceResult:
    """The kept truths (sorted by id) and how close the length distributions are before/after."""

    truths: list[Record]
    ks_before: float
    ks_after: float
    target: int
    shortfall: int


def ks_statistic(a: Sequence[int], b: Sequence[int]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic of two word-count samples (0 when either is empty)."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    return round(float(ks_2samp(a, b).statistic), 6)


def converge_word_counts(
    truths: Sequence[Record], falsehoods: Sequence[Record], *, ratio: float, seed: int, bin_width: int = 1
) -> ConvergenceResult:
    """Draw ``round(ratio × n_false(bin))`` truths from each word-count bin, without repeats.

    1) bin both sides by ``word_count // bin_width``; 2) for each bin in ascending order draw from
    the id-sorted truths of that bin with one seeded generator; 3) return the union sorted by id.
    Deterministic for the same inputs and seed, whatever the input order.
    """
    by_bin: dict[int, list[Record]] = defaultdict(list)
    for rec in sorted(truths, key=lambda r: r.statement_id):  # 1)
        by_bin[rec.word_count // bin_width].append(rec)
    want: dict[int, int] = defaultdict(int)
    for rec in falsehoods:
        want[rec.word_count // bin_width] += 1
    rng = np.random.default_rng(seed)
    kept: list[Record] = []
    target = shortfall = 0
    for b in sorted(want):  # 2)
        n = round(ratio * want[b])
        pool = by_bin.get(b, [])
        target += n
        shortfall += max(0, n - len(pool))
        if n >= len(pool):
            kept.extend(pool)
        elif n > 0:
            kept.extend(pool[i] for i in sorted(rng.choice(len(pool), size=n, replace=False)))
    kept.sort(key=lambda r: r.statement_id)  # 3)
    false_wc = [r.word_count for r in falsehoods]
    return ConvergenceResult(
        truths=kept,
        ks_before=ks_statistic([r.word_count for r in truths], false_wc),
        ks_after=ks_statistic([r.word_count for r in kept], false_wc),
        target=target,
        shortfall=shortfall,
    )
