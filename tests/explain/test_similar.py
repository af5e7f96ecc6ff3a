"""Similar statements: cosine neighbours (planted), the on-disk feature cache, the model's training split."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine

from deep_classiflie.explain.similar import cache_path, load_reference, nearest, training_features, unit_rows
from deep_classiflie.model.classifier import Classifier
from deep_classiflie.model.resolve import load_registered
from tests.explain.conftest import train_in_store


def test_planted_neighbours_come_first_in_order() -> None:
    rng = np.random.default_rng(0)
    reference = unit_rows(rng.normal(size=(50, 16)))
    # planted: query 0 is reference row 7 slightly moved; query 1 lies between rows 3 and 30, nearer 30
    queries = np.stack([reference[7] + 0.01 * rng.normal(size=16), 0.4 * reference[3] + 0.6 * reference[30]])
    found = nearest(unit_rows(queries), reference, 3)
    assert found[0][0][0] == 7 and found[0][0][1] < 1e-3
    assert [j for j, _ in found[1][:2]] == [30, 3]
    assert all(a[1] <= b[1] for hits in found for a, b in itertools.pairwise(hits))


def test_exclusion_and_small_references() -> None:
    reference = unit_rows(np.eye(3))
    found = nearest(reference[:1], reference, 5, exclude=[np.array([0])])
    assert [j for j, _ in found[0]] == [1, 2]  # itself excluded; k larger than what is left
    assert found[0][0][1] == pytest.approx(1.0)  # orthogonal: cosine distance 1
    assert nearest(reference[:1], reference[:0], 5) == [[]]


def test_training_features_are_cached_on_disk(classifier: Classifier, tmp_path: Path) -> None:
    rows = [{"statement_id": i, "text": t, "statement_type": "tweet"} for i, t in enumerate(["the wall", "big jobs"])]
    cache = tmp_path / "c" / "features.safetensors"
    ids, first = training_features(classifier, rows, cache)
    assert cache.is_file() and ids.tolist() == [0, 1] and first.shape == (2, classifier.head_config.hidden_dim)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)

    class NoCompute(Classifier):
        def features(self, texts: list[str], type_ids: np.ndarray) -> np.ndarray:
            raise AssertionError("features recomputed although cached")

    cached = NoCompute(**classifier.__dict__)
    _, again = training_features(cached, rows, cache)
    np.testing.assert_array_equal(again, first)
    # other training rows: the cache is stale and recomputed
    more = [*rows, {"statement_id": 5, "text": "china", "statement_type": "speech"}]
    ids, fresh = training_features(classifier, more, cache)
    assert ids.tolist() == [0, 1, 5] and fresh.shape[0] == 3
    assert not list(cache.parent.glob("*.tmp"))


def test_neighbours_come_from_the_models_training_split(
    sqlite_engine: Engine, encoder_path: Path, tmp_path: Path
) -> None:
    trained = train_in_store(sqlite_engine, encoder_path, tmp_path)
    row, clf = load_registered(sqlite_engine, trained.model_id)
    reference = load_reference(sqlite_engine, row, clf, tmp_path / "cache")
    assert reference is not None
    assert sorted(reference.statement_ids.tolist()) == sorted(trained.train_ids)
    assert cache_path(tmp_path / "cache", row).is_file()
    # planted: a training statement's own text is its own nearest neighbour, at distance ~0
    split = trained.splits["train"]
    query = clf.features([split.texts[4]], split.type_ids[4:5])
    hits = nearest(unit_rows(query), reference.features, 5)[0]
    assert int(reference.statement_ids[hits[0][0]]) == trained.train_ids[4] or hits[0][1] < 1e-6
    assert hits[0][1] < 1e-5


def test_an_unwritable_cache_is_skipped(classifier: Classifier, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    rows = [{"statement_id": 1, "text": "the wall", "statement_type": "tweet"}]
    ids, features = training_features(classifier, rows, tmp_path / "file" / "features.safetensors")
    assert ids.tolist() == [1] and features.shape == (1, classifier.head_config.hidden_dim)
