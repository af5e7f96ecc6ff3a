"""Step 4: chronological (no shared day), given and stratified splits."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deep_classiflie.core.errors import DatasetError
from deep_classiflie.dataset.splits import chronological_cuts, chronological_split, given_split, stratified_split
from tests.dataset.helpers import rec

D = dt.date.fromisoformat


def test_cuts_follow_the_cumulative_falsehood_distribution() -> None:
    # 10 falsehoods on days 1..10: train ends with the 8th, val with the 9th.
    days = [D(f"2017-01-{d:02d}") for d in range(1, 11)]
    assert chronological_cuts(days, (0.8, 0.1, 0.1)) == (D("2017-01-08"), D("2017-01-09"))


def test_a_busy_day_goes_whole_to_one_side() -> None:
    days = [D("2017-01-01")] * 2 + [D("2017-01-02")] * 6 + [D("2017-01-03"), D("2017-01-04")]
    assert chronological_cuts(days, (0.5, 0.25, 0.25)) == (D("2017-01-02"), D("2017-01-03"))


def test_cuts_keep_val_and_test_non_empty() -> None:
    days = [D("2017-01-01")] * 98 + [D("2017-01-02"), D("2017-01-03")]
    assert chronological_cuts(days, (0.8, 0.1, 0.1)) == (D("2017-01-01"), D("2017-01-02"))


def test_too_few_days_is_an_error_with_a_hint() -> None:
    with pytest.raises(DatasetError, match="at least 3 different days") as err:
        chronological_cuts([D("2017-01-01"), D("2017-01-02")], (0.8, 0.1, 0.1))
    assert err.value.hint and "stratified" in err.value.hint


def test_truths_follow_their_day() -> None:
    falsehoods = [rec(i, f"2017-01-{i:02d}", label=1) for i in range(1, 11)]
    truths = [rec(100, "2016-12-31"), rec(101, "2017-01-09"), rec(102, "2017-02-01")]
    split = chronological_split(falsehoods, truths, (0.8, 0.1, 0.1))
    assert [split[i] for i in (100, 101, 102)] == ["train", "val", "test"]
    assert [split[i] for i in range(1, 11)] == ["train"] * 8 + ["val", "test"]


@settings(max_examples=60, deadline=None)
@given(
    false_days=st.lists(st.integers(0, 60), min_size=3, max_size=80),
    truth_days=st.lists(st.integers(-10, 70), max_size=80),
    f_train=st.floats(0.1, 0.8),
)
def test_no_day_is_in_two_splits(false_days: list[int], truth_days: list[int], f_train: float) -> None:
    if len(set(false_days)) < 3:
        return
    base = dt.date(2017, 1, 20)
    falsehoods = [rec(i, (base + dt.timedelta(days=d)).isoformat(), label=1) for i, d in enumerate(false_days)]
    truths = [rec(1000 + i, (base + dt.timedelta(days=d)).isoformat()) for i, d in enumerate(truth_days)]
    rest = 1.0 - f_train
    split = chronological_split(falsehoods, truths, (f_train, rest / 2, rest / 2))
    day_split: dict[dt.date, set[str]] = {}
    for r in falsehoods + truths:
        day_split.setdefault(r.day, set()).add(split[r.statement_id])  # type: ignore[arg-type]
    assert all(len(s) == 1 for s in day_split.values())
    assert {split[r.statement_id] for r in falsehoods} == {"train", "val", "test"}
    order = {"train": 0, "val": 1, "test": 2}
    ranked = sorted(day_split.items())
    assert [order[next(iter(s))] for _, s in ranked] == sorted(order[next(iter(s))] for _, s in ranked)


def test_stratified_split_is_seeded_and_stratified() -> None:
    records = [rec(i, label=i % 2) for i in range(40)]
    a = stratified_split(records, (0.5, 0.25, 0.25), seed=3)
    b = stratified_split(list(reversed(records)), (0.5, 0.25, 0.25), seed=3)
    assert a == b
    for split, n in (("train", 20), ("val", 10), ("test", 10)):
        members = [i for i, s in a.items() if s == split]
        assert len(members) == n and sum(i % 2 for i in members) == n // 2


def test_given_split_keeps_valid_and_carves_test_from_train() -> None:
    train = [rec(i, label=i % 2, meta={"given_split": "train"}) for i in range(18)]
    valid = [rec(100 + i, label=i % 2, meta={"given_split": "valid"}) for i in range(4)]
    split = given_split(train + valid, (0.8, 0.1, 0.1), seed=0, given_map={"train": "train", "valid": "val"})
    assert all(split[r.statement_id] == "val" for r in valid)
    test = [i for i in range(18) if split[i] == "test"]
    # test share of the given train split: 0.1 / (0.8 + 0.1) of 18 = 2, one per class.
    assert len(test) == 2 and sum(i % 2 for i in test) == 1
    assert sum(split[i] == "train" for i in range(18)) == 16
