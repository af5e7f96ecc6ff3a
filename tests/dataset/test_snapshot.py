"""Snapshots: content hash and the npz round trip (no pickles)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deep_classiflie.core.errors import DatasetError
from deep_classiflie.dataset.records import Member
from deep_classiflie.dataset.snapshot import content_hash, load_splits, write_snapshot
from tests.dataset.helpers import rec


def _members() -> list[Member]:
    return [
        Member(
            rec(3, "2017-01-02", label=1, text="Ünïcode “quotes” — fine", stype="speech"), "train", copies=2, weight=2.0
        ),
        Member(rec(1, "2017-01-01", label=0), "train"),
        Member(rec(2, None, label=0), "val"),
        Member(rec(4, "2017-03-01", label=1), "test"),
    ]


def test_content_hash_ignores_order_and_sees_every_change() -> None:
    members = _members()
    h = content_hash({"a": 1}, members)
    assert h == content_hash({"a": 1}, list(reversed(members)))
    assert h != content_hash({"a": 2}, members)
    assert h != content_hash({"a": 1}, [*members[:3], Member(members[3].record, "val")])


def test_round_trip(tmp_path: Path) -> None:
    meta = {"train": np.array([[1.0], [0.0]]), "val": np.array([[0.5]]), "test": np.array([[0.0]])}
    folder = write_snapshot(tmp_path, {"content_hash": "abc", "meta_names": ["party=x"]}, _members(), meta)
    splits = load_splits(folder)
    train = splits["train"]
    assert train.statement_ids.tolist() == [1, 3]
    assert train.texts[1] == "Ünïcode “quotes” — fine"
    assert train.labels.tolist() == [0, 1] and train.type_ids.tolist() == [0, 1]
    assert train.weights.tolist() == [1.0, 2.0] and train.weights.dtype == np.float32
    assert str(train.dates[0]) == "2017-01-01T12:00:00"
    assert np.isnat(splits["val"].dates[0])
    assert train.meta is not None and train.meta.tolist() == [[1.0], [0.0]] and train.meta_names == ("party=x",)
    assert [len(splits[s]) for s in ("train", "val", "test")] == [2, 1, 1]
    with np.load(folder / "train.npz", allow_pickle=False) as z:  # readable without pickles
        assert set(z.files) >= {"text_bytes", "text_offsets"}


def test_missing_snapshot_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no dataset snapshot") as err:
        load_splits(tmp_path)
    assert "build-dataset" in (err.value.hint or "")
