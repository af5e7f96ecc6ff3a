"""Step 6: balance tables and the metadata-only probe."""

from __future__ import annotations

from deep_classiflie.dataset.leakage import balance_table, leakage_report, one_class_types
from deep_classiflie.dataset.records import Member
from tests.dataset.helpers import rec

CLASSES = ["not_falsehood", "falsehood"]


def _leaky() -> list[Member]:
    """Falsehoods are speeches, truths are tweets: the type alone gives the label away."""
    out: list[Member] = []
    for split, n, month in (("train", 20, "2017-01"), ("val", 10, "2017-02")):
        for i in range(n):
            out.append(Member(rec(len(out), f"{month}-{i % 28 + 1:02d}", label=1, stype="speech", words=40), split))
            out.append(Member(rec(len(out), f"{month}-{i % 28 + 1:02d}", label=0, stype="tweet", words=12), split))
    return out


def test_balance_table_rows_per_split_type_month() -> None:
    members = [
        Member(rec(1, "2017-01-05", label=1, stype="speech"), "train"),
        Member(rec(2, "2017-01-06", label=0), "train"),
        Member(rec(3, "2017-02-01", label=0), "val"),
    ]
    assert balance_table(members, CLASSES) == [
        {"split": "train", "type": "non_tweet", "month": "2017-01", "not_falsehood": 0, "falsehood": 1},
        {"split": "train", "type": "tweet", "month": "2017-01", "not_falsehood": 1, "falsehood": 0},
        {"split": "val", "type": "tweet", "month": "2017-02", "not_falsehood": 1, "falsehood": 0},
    ]


def test_one_class_types_are_flagged() -> None:
    assert one_class_types(_leaky(), CLASSES) == [
        "statement type 'speech' occurs only as 'falsehood' (30 statements)",
        "statement type 'tweet' occurs only as 'not_falsehood' (30 statements)",
    ]


def test_metadata_probe_flags_a_leaky_dataset() -> None:
    report = leakage_report(_leaky(), CLASSES, features=["type", "month", "length"], auc_threshold=0.65, seed=0)
    assert report["metadata_probe"]["auc_val"] == 1.0 and report["metadata_probe"]["flag"] is True
    assert report["counts"] == {
        "train": {"not_falsehood": 20, "falsehood": 20},
        "val": {"not_falsehood": 10, "falsehood": 10},
    }
    assert report["by_type"] == {
        "non_tweet": {"not_falsehood": 0, "falsehood": 30},
        "tweet": {"not_falsehood": 30, "falsehood": 0},
    }
    assert any("when/where" in f for f in report["flags"])


def test_metadata_probe_passes_when_metadata_carries_no_signal() -> None:
    members: list[Member] = []
    for split, n in (("train", 40), ("val", 20)):
        for i in range(n):
            members.append(
                Member(rec(len(members), f"2017-01-{i % 28 + 1:02d}", label=i % 2, words=10 + i // 2 % 5), split)
            )
    report = leakage_report(members, CLASSES, features=["type", "month", "length"], auc_threshold=0.65, seed=0)
    assert report["metadata_probe"]["flag"] is False and report["flags"] == []
