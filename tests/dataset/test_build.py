"""build_collection end to end on a small store, with the tiny encoder."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import torch
from sqlalchemy.engine import Engine

from deep_classiflie.config import load_config
from deep_classiflie.core.errors import DatasetError
from deep_classiflie.dataset import build_collection, latest_collection, load_splits, read_manifest
from deep_classiflie.model.encoder import load_encoder
from deep_classiflie_db.queries import dataset as q
from deep_classiflie_db.queries import ingest as ingest_q
from deep_classiflie_db.schema import statements
from tests.dataset.helpers import _text, seed_store


def _config(tmp_path: Path, *overrides: str):
    return load_config(None, [f"paths.data_dir={tmp_path}", "dataset.max_truths_per_falsehood=2", *overrides])


@pytest.fixture
def loader(tiny_encoder_path: Path):
    torch.set_num_threads(1)
    return lambda: load_encoder(tiny_encoder_path)


def test_build_stores_members_exclusions_and_snapshot(sqlite_engine: Engine, tmp_path: Path, loader) -> None:
    seed_store(sqlite_engine)
    info = build_collection(sqlite_engine, _config(tmp_path), encoder_loader=loader)
    assert info.snapshot_dir == tmp_path / "datasets" / info.content_hash and not info.reused
    splits = load_splits(info.snapshot_dir)
    # the 20 speech falsehoods have no speech truths to match: the convergence keeps none of them
    assert sum(int((s.labels == 1).sum()) for s in splits.values()) == 10
    assert info.report is not None and info.report["steps"]["convergence"]["falsehoods_dropped"] == 20
    dates = {s: {str(d)[:10] for d in splits[s].dates} for s in splits}
    assert not (dates["train"] & dates["val"] or dates["val"] & dates["test"] or dates["train"] & dates["test"])
    assert set(splits["val"].weights.tolist()) == {1.0}
    with sqlite_engine.connect() as conn:
        assert q.exclusion_counts(conn, collection_id=info.id)["hash"] == 1
        members = q.collection_members(conn, collection_id=info.id)
    assert len(members) == sum(len(s) for s in splits.values())
    assert info.report["one_class_types"] == []
    assert read_manifest(info.snapshot_dir)["classes"] == ["not_falsehood", "falsehood"]
    assert latest_collection(sqlite_engine, "trump_falsehoods", data_dir=tmp_path) == info


def test_without_dropping_falsehoods_a_one_class_type_is_flagged(sqlite_engine: Engine, tmp_path: Path, loader) -> None:
    seed_store(sqlite_engine)
    cfg = _config(tmp_path, "dataset.converge_drop_falsehoods=false", "dataset.converge_by=[type]")
    info = build_collection(sqlite_engine, cfg, encoder_loader=loader)
    assert info.report is not None and info.report["one_class_types"] == [
        "statement type 'speech' occurs only as 'falsehood' (20 statements)"
    ]
    assert any("holds only 'falsehood'" in f for f in info.report["flags"])  # per split × type too


def test_same_store_and_config_give_the_same_hash(sqlite_engine: Engine, tmp_path: Path, loader) -> None:
    seed_store(sqlite_engine)
    first = build_collection(sqlite_engine, _config(tmp_path), encoder_loader=loader)
    again = build_collection(sqlite_engine, _config(tmp_path), encoder_loader=loader)
    assert again.reused and again.id == first.id
    rebuilt = build_collection(sqlite_engine, _config(tmp_path, "dataset.reuse_cache=false"), encoder_loader=loader)
    assert not rebuilt.reused and rebuilt.content_hash == first.content_hash and rebuilt.id == first.id
    other = build_collection(sqlite_engine, _config(tmp_path, "dataset.seed=1"), encoder_loader=loader)
    assert other.content_hash != first.content_hash


def test_liar_given_splits_and_meta_features(sqlite_engine: Engine, tmp_path: Path) -> None:
    seed_store(sqlite_engine)
    info = build_collection(sqlite_engine, _config(tmp_path, "dataset.task=liar_6way", "dataset.name=liar"))
    splits = load_splits(info.snapshot_dir)
    assert [len(splits[s]) for s in ("train", "val", "test")] == [28, 8, 4]
    assert splits["train"].meta_names == ("party=democrat", "party=republican", "party=<other>")
    assert splits["val"].meta is not None and splits["val"].meta.shape == (8, 3)


def test_liar_meta_variant_prefixes_speaker_and_metadata(sqlite_engine: Engine, tmp_path: Path) -> None:
    seed_store(sqlite_engine)
    with sqlite_engine.begin() as conn:  # one LIAR statement gets a speaker (the speakers table, not meta)
        jane = ingest_q.ensure_speaker(conn, name="jane-doe")
        conn.execute(sa.update(statements).where(statements.c.external_id == "l1").values(speaker_id=jane))
    info = build_collection(sqlite_engine, _config(tmp_path, "dataset.task=liar_6way_meta", "dataset.name=liar_meta"))
    texts = [t for s in load_splits(info.snapshot_dir).values() for t in s.texts]
    assert len(texts) == 40 and all(
        t.startswith(("party: democrat. ", "party: republican. ", "speaker: ")) for t in texts
    )
    assert [t for t in texts if t.startswith("speaker: ")] == [
        f"speaker: jane doe; party: republican. {_text(501, 10)}"
    ]
    plain = build_collection(sqlite_engine, _config(tmp_path, "dataset.task=liar_6way", "dataset.name=liar"))
    assert _text(501, 10) in load_splits(plain.snapshot_dir)["val"].texts  # the text-only task is unchanged


def test_empty_store_says_what_to_ingest(sqlite_engine: Engine, tmp_path: Path, loader) -> None:
    with pytest.raises(DatasetError) as err:
        build_collection(sqlite_engine, _config(tmp_path), encoder_loader=loader)
    assert "ingest --source toronto_star" in (err.value.hint or "")


def test_the_filter_uses_its_own_encoder_not_the_classifiers(
    sqlite_engine: Engine, tmp_path: Path, tiny_encoder_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The filter's thresholds are calibrated on one encoder: choosing another classifier encoder must not change
    which statements the dataset holds."""
    seed_store(sqlite_engine)
    asked: list[object] = []

    def fake_load(path: object = None):
        asked.append(path)
        return load_encoder(tiny_encoder_path)

    monkeypatch.setattr("deep_classiflie.dataset.build.load_encoder", fake_load)
    one = build_collection(sqlite_engine, _config(tmp_path, "encoder.path=/no/such/encoder"))
    two = build_collection(sqlite_engine, _config(tmp_path, "encoder.path=all-mpnet-base-v2"))
    assert asked == [None, None] and two.reused and two.content_hash == one.content_hash
    build_collection(sqlite_engine, _config(tmp_path, f"dataset.filter.encoder={tiny_encoder_path}"))
    assert asked[-1] == str(tiny_encoder_path)
