"""Step 5: balancing the training split only."""

from __future__ import annotations

from deep_classiflie.dataset.balance import balance_members, class_weights, oversample_copies
from deep_classiflie.dataset.records import Member
from tests.dataset.helpers import rec


def test_oversample_copies_reach_the_largest_class() -> None:
    copies = oversample_copies([0, 0, 0, 0, 0, 1, 1], seed=0)
    assert copies[:5] == [1] * 5
    assert sorted(copies[5:]) == [2, 3] and sum(copies[5:]) == 5


def test_oversample_is_seeded() -> None:
    labels = [0] * 10 + [1] * 3
    assert oversample_copies(labels, seed=1) == oversample_copies(labels, seed=1)


def test_class_weights_are_sklearn_balanced() -> None:
    assert class_weights([0, 0, 0, 1]) == {0: round(4 / 6, 6), 1: 2.0}


def _members() -> list[Member]:
    labels = [("train", 0)] * 4 + [("train", 1)] * 2 + [("val", 0)] * 3 + [("val", 1)]
    return [Member(rec(i, label=y), s) for i, (s, y) in enumerate(labels)]


def test_only_train_is_balanced() -> None:
    out = balance_members(_members(), how="oversample", seed=0)
    assert [(m.split, m.record.label, m.copies, m.weight) for m in out] == [
        *[("train", 0, 1, 1.0)] * 4,
        *[("train", 1, 2, 2.0)] * 2,
        *[("val", 0, 1, 1.0)] * 3,
        ("val", 1, 1, 1.0),
    ]
    weighted = balance_members(_members(), how="class_weight", seed=0)
    assert [m.weight for m in weighted] == [0.75] * 4 + [1.5] * 2 + [1.0] * 4
    assert balance_members(_members(), how="none", seed=0) == _members()
