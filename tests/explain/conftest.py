"""Tiny models for explain tests: an untrained classifier (fixed seed) and a trained, registered one in a store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.dataset.types import DatasetSplit
from deep_classiflie.model.classifier import Classifier, FactClassifier
from deep_classiflie.model.head import ClassifierHead, HeadConfig
from deep_classiflie_db.queries.bulk import insert_labels
from deep_classiflie_db.queries.ingest import ensure_source, insert_statements, statement_ids
from deep_classiflie_db.schema import dataset_collections, dataset_members, model_versions
from tests.train.conftest import make_split, tiny_albert_path  # noqa: F401  (fixture re-used here)

T0 = dt.datetime(2020, 3, 2)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def tiny_classifier(encoder_path: Path, *, num_classes: int = 2, seed: int = 0, max_length: int = 32) -> Classifier:
    """The tiny random encoder with a freshly initialised head (deterministic for a seed)."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(encoder_path))
    encoder = AutoModel.from_pretrained(str(encoder_path))
    torch.manual_seed(seed)
    cfg = HeadConfig(input_dim=32, num_classes=num_classes, hidden_dim=16, max_length=max_length)
    model = FactClassifier(encoder, ClassifierHead(cfg)).eval()
    return Classifier(model=model, tokenizer=tokenizer, head_config=cfg, folder=encoder_path, encoder_path=encoder_path)


def make_encoder(folder: Path, *, seed: int = 0) -> Path:
    """A tiny random BERT (2 layers, hidden 32) like ``make_tiny_encoder``'s, its vocabulary passed as a dict.

    With transformers 5, ``BertTokenizerFast(vocab_file=...)`` (how ``make_tiny_encoder`` builds it) keeps only
    the 5 special tokens, so every word becomes ``[UNK]``; attributions need real word pieces to mean anything.
    """
    from transformers import BertConfig, BertModel, BertTokenizerFast  # type: ignore[attr-defined]

    from deep_classiflie.model.tiny import tiny_vocab

    vocab: dict[str, int] = {}
    for word in tiny_vocab():
        vocab.setdefault(word, len(vocab))
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = BertTokenizerFast(vocab=vocab, do_lower_case=True)
    tokenizer.save_pretrained(str(folder))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def encoder_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT whose tokenizer knows its vocabulary."""
    return make_encoder(tmp_path_factory.mktemp("explain_encoder"))


@pytest.fixture(scope="module")
def classifier(encoder_path: Path) -> Classifier:
    return tiny_classifier(encoder_path)


@dataclass
class Trained:
    """A store with labelled statements, a collection, and a tiny model trained and registered on it."""

    engine: Engine
    config: Config
    model_id: int
    train_ids: list[int]
    test_ids: list[int]
    unlabelled_id: int
    splits: dict[str, DatasetSplit]


def _store_split(conn, src: int, split: DatasetSplit, offset: int) -> list[int]:  # type: ignore[no-untyped-def]
    rows = [
        {
            "source_id": src,
            "external_id": f"{split.name}{i}",
            "text": text,
            "text_hash": f"{offset + i:064d}",
            "statement_date": T0 + dt.timedelta(days=offset + i),
            "statement_type": "tweet" if split.type_ids[i] == 0 else "speech",
            "word_count": len(text.split()),
        }
        for i, text in enumerate(split.texts)
    ]
    insert_statements(conn, rows)
    found = statement_ids(conn, source_id=src, external_ids=[r["external_id"] for r in rows])
    return [found[r["external_id"]] for r in rows]


def populate_store(engine: Engine) -> tuple[dict[str, list[int]], int, dict[str, DatasetSplit], int]:
    """Statements of a train/val/test split stored and labelled, a collection of them, and one unrated statement.

    Returns (statement ids per split, collection id, the splits with their stored ids, the unrated id).
    """
    splits = {"train": make_split("train", 24, seed=0), "val": make_split("val", 8, seed=1)}
    splits["test"] = make_split("test", 8, seed=2)
    with engine.begin() as conn:
        src = ensure_source(conn, name="test", kind="label_source")
        ids = {name: _store_split(conn, src, s, 100 * k) for k, (name, s) in enumerate(splits.items())}
        labelled = [(sid, int(lab)) for name in ids for sid, lab in zip(ids[name], splits[name].labels, strict=True)]
        insert_labels(
            conn,
            [
                {"statement_id": sid, "rating_source": "cnn", "source_label": "false", "label_class": 1}
                for sid, lab in labelled
                if lab == 1
            ],
        )
        coll = conn.execute(
            dataset_collections.insert().values(
                name="c", task="falsehood_binary", content_hash="h" * 64, config={}, counts={}, created_at=T0
            )
        ).inserted_primary_key[0]
        conn.execute(
            dataset_members.insert(),
            [
                {"collection_id": coll, "statement_id": sid, "split": name, "label": int(lab)}
                for name in ids
                for sid, lab in zip(ids[name], splits[name].labels, strict=True)
            ],
        )
        one = np.ones(1, np.int64)
        unrated = DatasetSplit(
            "extra", one, ["wall media jobs"], one, one, np.ones(1, np.float32), np.zeros(1, "datetime64[s]")
        )
        extra = _store_split(conn, src, unrated, 900)
    stored = {n: DatasetSplit(**{**s.__dict__, "statement_ids": np.asarray(ids[n])}) for n, s in splits.items()}
    return ids, int(coll), stored, extra[0]


def train_in_store(engine: Engine, encoder_path: Path, tmp_path: Path, *, full: bool = False) -> Trained:
    """``populate_store`` and a tiny model trained and registered on its collection.

    ``full=False``: a head on cached features; ``full=True``: encoder and head fine-tuned (thaw schedule).
    """
    from deep_classiflie.train.api import train_model

    cfg = Config.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "dc"), "runs_dir": str(tmp_path / "runs")},
            "encoder": {"path": str(encoder_path), "max_length": 32, "batch_size": 8},
            "train": {
                "epochs": 2,
                "batch_size": 8,
                "finetune": {"max_epochs": 1, "batch_size": 8, "top_k": 1, "swa_n": 1},
            },
        }
    )
    ids, coll, stored, unrated = populate_store(engine)
    splits = {"train": stored["train"], "val": stored["val"]}
    info = train_model(engine, cfg, splits, collection_id=coll, out_dir=tmp_path / "models", full=full)
    assert info.model_version_id is not None
    return Trained(engine, cfg, int(info.model_version_id), ids["train"], ids["test"], unrated, stored)


def fixed_in_store(engine: Engine, encoder_path: Path, tmp_path: Path) -> tuple[Trained, dict[str, Any], Classifier]:
    """``populate_store`` and the untrained fixed-seed ``tiny_classifier`` registered on its collection.

    Nothing here depends on the train stage, so a golden card of it changes only when the explain stage does.
    """
    ids, coll, stored, unrated = populate_store(engine)
    with engine.begin() as conn:
        model_id = conn.execute(
            model_versions.insert().values(
                name="tiny-fixed",
                kind="head_on_cached_features",
                task="falsehood_binary",
                encoder="tiny",
                path=str(tmp_path / "model"),
                weights_sha256="0" * 64,
                config={},
                dataset_collection_id=coll,
                created_at=T0,
            )
        ).inserted_primary_key[0]
    with engine.connect() as conn:
        row = dict(conn.execute(model_versions.select().where(model_versions.c.id == model_id)).one()._mapping)
    trained = Trained(engine, Config(), int(model_id), ids["train"], ids["test"], unrated, stored)
    return trained, row, tiny_classifier(encoder_path)
