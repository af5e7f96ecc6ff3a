"""Step 3: word-count convergence."""

from __future__ import annotations

import random

from deep_classiflie.dataset.convergence import converge_word_counts, ks_statistic
from tests.dataset.helpers import rec


def _sets() -> tuple[list, list]:
    falsehoods = [rec(1, words=8, label=1), rec(2, words=8, label=1), rec(3, words=20, label=1)]
    truths = [rec(10 + i, words=8) for i in range(5)] + [rec(20 + i, words=9) for i in range(4)] + [rec(30, words=20)]
    return falsehoods, truths


def test_draws_per_length_without_repeats_and_reports_shortfall() -> None:
    falsehoods, truths = _sets()
    out = converge_word_counts(truths, falsehoods, ratio=1.5, seed=0)
    ids = [r.statement_id for r in out.truths]
    # 8 words: round(1.5 * 2) = 3 of 5 drawn; 9 words: no falsehoods, none kept; 20 words: want 2, have 1.
    assert len(ids) == len(set(ids)) == 4
    assert sum(10 <= i < 15 for i in ids) == 3 and 30 in ids
    assert (out.target, out.shortfall) == (5, 1)
    assert out.ks_after < out.ks_before


def test_deterministic_whatever_the_input_order() -> None:
    falsehoods, truths = _sets()
    shuffled = truths[:]
    random.Random(1).shuffle(shuffled)
    a = converge_word_counts(truths, falsehoods, ratio=1.5, seed=7)
    b = converge_word_counts(shuffled, falsehoods, ratio=1.5, seed=7)
    assert [r.statement_id for r in a.truths] == [r.statement_id for r in b.truths]


def test_exact_draw_for_a_fixed_seed() -> None:
    falsehoods, truths = _sets()
    out = converge_word_counts(truths, falsehoods, ratio=1.5, seed=0)
    assert [r.statement_id for r in out.truths] == EXPECTED_SEED0


def test_bins_group_neighbouring_lengths() -> None:
    falsehoods, truths = _sets()
    out = converge_word_counts(truths, falsehoods, ratio=1.0, seed=0, bin_width=2)
    # bin 4 (8-9 words) wants 2 of 9, bin 10 (20-21 words) wants 1 of 1.
    assert len(out.truths) == 3 and out.shortfall == 0


def test_ks_statistic() -> None:
    assert ks_statistic([1, 2, 3], [1, 2, 3]) == 0.0
    assert ks_statistic([1, 1], [5, 5]) == 1.0
    assert ks_statistic([], [1]) == 0.0


# Pinned: a change in the draw changes every dataset hash, so it must be deliberate.
EXPECTED_SEED0 = [12, 13, 14, 30]
