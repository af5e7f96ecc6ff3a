"""Per-type decision thresholds: the pure choice on planted data, and the row lookup."""

from __future__ import annotations

import numpy as np
import pytest

from deep_classiflie.dataset.types import TYPE_IDS
from deep_classiflie.model.thresholds import choose_threshold, choose_thresholds, row_thresholds


def _mcc(y: np.ndarray, p: np.ndarray, t: float) -> float:
    from sklearn.metrics import matthews_corrcoef

    return float(matthews_corrcoef(y, (p >= t).astype(int)))


def test_a_planted_gap_is_found_and_cut_in_the_middle() -> None:
    # Every positive at 0.30-0.39, every negative at 0.05-0.14: the MCC-best cut separates them exactly.
    p = np.r_[np.linspace(0.30, 0.39, 10), np.linspace(0.05, 0.14, 10)]
    y = np.r_[np.ones(10), np.zeros(10)].astype(int)
    t = choose_threshold(y, p, "mcc")
    assert 0.14 < t <= 0.30 and _mcc(y, p, t) == pytest.approx(1.0)
    assert t == pytest.approx((0.14 + 0.30) / 2)


@pytest.mark.parametrize("objective", ["mcc", "f1", "youden", "accuracy"])
def test_the_chosen_cut_is_as_good_as_any_by_brute_force(objective: str) -> None:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    rng = np.random.default_rng(3)
    y = (rng.random(300) < 0.3).astype(int)
    p = np.clip(0.25 * y + rng.normal(0.35, 0.15, 300), 0, 1).round(2)  # ties on purpose

    def value(t: float) -> float:
        pred = (p >= t).astype(int)
        if objective == "mcc":
            return _mcc(y, p, t)
        if objective == "f1":
            return float(f1_score(y, pred, zero_division=0))
        if objective == "youden":
            return 2 * float(balanced_accuracy_score(y, pred)) - 1
        return float(accuracy_score(y, pred))

    t = choose_threshold(y, p, objective)
    best = max(value(c) for c in np.r_[np.unique(p), 1.01])
    assert value(t) == pytest.approx(best, abs=1e-9)


def test_one_class_or_fixed_gives_one_half() -> None:
    assert choose_threshold(np.ones(5), np.linspace(0, 1, 5)) == 0.5
    assert choose_threshold(np.array([0, 1]), np.array([0.1, 0.9]), "fixed") == 0.5


def test_per_type_thresholds_fall_back_to_all_when_a_type_has_one_class() -> None:
    tweet, spoken = TYPE_IDS["tweet"], TYPE_IDS["non_tweet"]
    # tweets: positives low (0.2 vs 0.1); spoken: one class only
    p = np.array([0.2, 0.21, 0.1, 0.11, 0.9, 0.8])
    y = np.array([1, 1, 0, 0, 1, 1])
    types = np.array([tweet] * 4 + [spoken] * 2)
    cuts = choose_thresholds(y, p, types, TYPE_IDS)
    assert 0.11 < cuts["tweet"] <= 0.2
    assert cuts["non_tweet"] == cuts["all"]
    rows = row_thresholds(types, cuts, TYPE_IDS)
    assert rows.tolist() == [cuts["tweet"]] * 4 + [cuts["non_tweet"]] * 2
    assert row_thresholds(types, {}, TYPE_IDS).tolist() == [0.5] * 6


def test_a_type_with_too_few_rows_of_a_class_takes_the_cut_of_all_rows() -> None:
    from deep_classiflie.model.thresholds import sparse_types

    tweet, spoken = TYPE_IDS["tweet"], TYPE_IDS["non_tweet"]
    rng = np.random.default_rng(0)
    # tweets: 40 truths, 5 falsehoods, separable at 0.2; spoken: 40 + 40, separable at 0.6
    y = np.r_[np.zeros(40), np.ones(5), np.zeros(40), np.ones(40)].astype(int)
    p = np.r_[rng.uniform(0, 0.15, 40), rng.uniform(0.25, 0.3, 5), rng.uniform(0.3, 0.55, 40), rng.uniform(0.65, 1, 40)]
    types = np.array([tweet] * 45 + [spoken] * 80)
    own = choose_thresholds(y, p, types, TYPE_IDS)  # min_per_class 1: each type its own cut
    assert 0.15 < own["tweet"] <= 0.25 and 0.55 < own["non_tweet"] <= 0.65
    guarded = choose_thresholds(y, p, types, TYPE_IDS, min_per_class=10)
    assert guarded["tweet"] == guarded["all"] and guarded["non_tweet"] == own["non_tweet"]
    assert sparse_types(y, types, TYPE_IDS, 10) == {"tweet": "5 of class 1 (fewer than 10)"}
    assert sparse_types(y, types, TYPE_IDS, 5) == {}
    # one class only in a type reads as 0 of the other
    assert sparse_types(np.zeros(4, int), np.array([tweet] * 4), TYPE_IDS, 1) == {
        "tweet": "0 of class 1 (fewer than 1)"
    }


def test_bagged_threshold_stays_in_a_planted_gap_and_ignores_a_lucky_peak() -> None:
    from deep_classiflie.model.thresholds import bagged_threshold

    # a clean gap 0.14..0.30: the bagged cut stays inside it
    p = np.r_[np.linspace(0.30, 0.39, 10), np.linspace(0.05, 0.14, 10)]
    y = np.r_[np.ones(10), np.zeros(10)].astype(int)
    assert 0.14 < bagged_threshold(y, p, bootstrap=100, seed=1) <= 0.30
    # overlapping scores (positives ~ N(0.6, 0.15), negatives ~ N(0.4, 0.15)) plus two lucky positives at
    # the very top: bagging keeps the cut near the crossing (0.5), the same seed gives the same cut
    rng = np.random.default_rng(0)
    p = np.r_[rng.normal(0.6, 0.15, 60), rng.normal(0.4, 0.15, 60), 0.99, 0.98]
    y = np.r_[np.ones(60), np.zeros(60), 1, 1].astype(int)
    cut = bagged_threshold(y, p, bootstrap=200, seed=3)
    assert 0.4 < cut < 0.6 and cut == bagged_threshold(y, p, bootstrap=200, seed=3)
    assert bagged_threshold(y, p, bootstrap=0) == choose_threshold(y, p)


def test_load_fallbacks_reads_uses_all_and_tolerates_older_files(tmp_path) -> None:
    from deep_classiflie.model.classifier import load_fallbacks
    from deep_classiflie.model.thresholds import save_thresholds

    assert load_fallbacks(tmp_path) == {}  # no file
    save_thresholds(tmp_path, {"all": 0.4, "tweet": 0.4}, objective="mcc", info={"uses_all": {"tweet": "why"}})
    assert load_fallbacks(tmp_path) == {"tweet": "why"}
    save_thresholds(tmp_path, {"all": 0.4}, objective="mcc", info={})  # written before the guard
    assert load_fallbacks(tmp_path) == {}
    (tmp_path / "thresholds.json").write_text("{not json")
    assert load_fallbacks(tmp_path) == {}
