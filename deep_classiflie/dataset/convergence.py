"""Step 3: resample truths so their word-count distribution follows the falsehoods'.

Without it a model learns "long statement = false" (speeches are longer than tweets). The draw is
per length bin, without repeats, seeded; bins with too few truths keep all they have (a shortfall
the report shows) or, with ``drop_falsehoods``, also keep only as many falsehoods as the truths there
can match at the ratio, so no bin's class balance gives the label away. :func:`converge_by_strata` runs
it within every statement type (and month, if asked): each type's truths follow that type's falsehoods.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    falsehoods: list[Record] = field(default_factory=list)  # kept (all unless drop_falsehoods)
    strata: dict[str, dict[str, Any]] = field(default_factory=dict)  # per stratum, from converge_by_strata


def ks_statistic(a: Sequence[int], b: Sequence[int]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic of two word-count samples (0 when either is empty)."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    return round(float(ks_2samp(a, b).statistic), 6)


def converge_word_counts(
    truths: Sequence[Record],
    falsehoods: Sequence[Record],
    *,
    ratio: float,
    seed: int | Sequence[int],
    bin_width: int = 1,
    drop_falsehoods: bool = False,
) -> ConvergenceResult:
    """Draw ``round(ratio × n_false(bin))`` truths from each word-count bin, without repeats.

    1) bin both sides by ``word_count // bin_width``; 2) for each bin in ascending order draw from
    the id-sorted truths of that bin with one seeded generator (where the bin has too few truths and
    ``drop_falsehoods`` is set, keep ``floor(n_truths / ratio)`` of its falsehoods, drawn the same way);
    3) return the union sorted by id. Deterministic for the same inputs and seed, whatever the input order.
    """
    by_bin: dict[int, list[Record]] = defaultdict(list)
    for rec in sorted(truths, key=lambda r: r.statement_id):  # 1)
        by_bin[rec.word_count // bin_width].append(rec)
    false_bins: dict[int, list[Record]] = defaultdict(list)
    for rec in sorted(falsehoods, key=lambda r: r.statement_id):
        false_bins[rec.word_count // bin_width].append(rec)
    rng = np.random.default_rng(seed)
    kept: list[Record] = []
    kept_false: list[Record] = []
    target = shortfall = 0
    for b in sorted(false_bins):  # 2)
        fs = false_bins[b]
        n = round(ratio * len(fs))
        pool = by_bin.get(b, [])
        if drop_falsehoods and n > len(pool):
            keep = int(len(pool) / ratio + 1e-9)
            fs = [fs[i] for i in sorted(rng.choice(len(fs), size=keep, replace=False))] if keep else []
            n = round(ratio * len(fs))
        kept_false.extend(fs)
        target += n
        shortfall += max(0, n - len(pool))
        if n >= len(pool):
            kept.extend(pool)
        elif n > 0:
            kept.extend(pool[i] for i in sorted(rng.choice(len(pool), size=n, replace=False)))
    kept.sort(key=lambda r: r.statement_id)  # 3)
    kept_false.sort(key=lambda r: r.statement_id)
    false_wc = [r.word_count for r in falsehoods]
    return ConvergenceResult(
        truths=kept,
        ks_before=ks_statistic([r.word_count for r in truths], false_wc),
        ks_after=ks_statistic([r.word_count for r in kept], [r.word_count for r in kept_false]),
        target=target,
        shortfall=shortfall,
        falsehoods=kept_false,
    )


def _median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def converge_by_strata(
    truths: Sequence[Record],
    falsehoods: Sequence[Record],
    *,
    stratum: Callable[[Record], Hashable],
    ratio: float,
    seed: int,
    bin_width: int = 1,
    drop_falsehoods: bool = False,
) -> ConvergenceResult:
    """:func:`converge_word_counts` within each stratum (e.g. statement type, or type × month).

    Truths of a stratum without falsehoods are dropped (nothing to follow); each stratum draws with its
    own generator ``(seed, position)``. ``strata`` reports per stratum the counts and word-count medians
    of both classes before and after, and the KS statistics.
    """
    t_by: dict[Hashable, list[Record]] = defaultdict(list)
    f_by: dict[Hashable, list[Record]] = defaultdict(list)
    for r in truths:
        t_by[stratum(r)].append(r)
    for r in falsehoods:
        f_by[stratum(r)].append(r)
    kept: list[Record] = []
    kept_false: list[Record] = []
    report: dict[str, dict[str, Any]] = {}
    target = shortfall = 0
    for pos, key in enumerate(sorted(f_by, key=str)):
        ts, fs = t_by.get(key, []), f_by[key]
        res = converge_word_counts(
            ts, fs, ratio=ratio, seed=(seed, pos), bin_width=bin_width, drop_falsehoods=drop_falsehoods
        )
        kept += res.truths
        kept_false += res.falsehoods
        target += res.target
        shortfall += res.shortfall
        report[str(key)] = {
            "truths_before": len(ts),
            "falsehoods_before": len(fs),
            "truths_after": len(res.truths),
            "falsehoods_after": len(res.falsehoods),
            "median_words_truths_before": _median([r.word_count for r in ts]),
            "median_words_falsehoods_before": _median([r.word_count for r in fs]),
            "median_words_truths_after": _median([r.word_count for r in res.truths]),
            "median_words_falsehoods_after": _median([r.word_count for r in res.falsehoods]),
            "ks_before": res.ks_before,
            "ks_after": res.ks_after,
        }
    kept.sort(key=lambda r: r.statement_id)
    kept_false.sort(key=lambda r: r.statement_id)
    return ConvergenceResult(
        truths=kept,
        ks_before=ks_statistic([r.word_count for r in truths], [r.word_count for r in falsehoods]),
        ks_after=ks_statistic([r.word_count for r in kept], [r.word_count for r in kept_false]),
        target=target,
        shortfall=shortfall,
        falsehoods=kept_false,
        strata=report,
    )


def words_by_type(
    truths_before: Sequence[Record],
    falsehoods_before: Sequence[Record],
    truths_after: Sequence[Record],
    falsehoods_after: Sequence[Record],
) -> dict[str, dict[str, Any]]:
    """Per statement type: counts and median word counts of both classes before and after convergence."""
    out: dict[str, dict[str, Any]] = {}
    groups = {"truths_before": truths_before, "falsehoods_before": falsehoods_before}
    groups |= {"truths_after": truths_after, "falsehoods_after": falsehoods_after}
    types = sorted({r.statement_type for rs in groups.values() for r in rs})
    for t in types:
        row: dict[str, Any] = {}
        for name, recs in groups.items():
            wc = [r.word_count for r in recs if r.statement_type == t]
            row[f"n_{name}"] = len(wc)
            row[f"median_words_{name}"] = _median(wc)
        out[t] = row
    return out
