"""A store with old (test-window) and new statements and a tiny model registered in it, for publish tests."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.model.classifier import THRESHOLDS_FILE
from deep_classiflie.train.api import train_model
from deep_classiflie_db.queries import evaluate as qe
from deep_classiflie_db.queries.ingest import ensure_source, insert_statements, statement_ids
from deep_classiflie_db.queries.models import register_model_version
from deep_classiflie_db.schema import dataset_collections, dataset_members
from tests.publish.ipfs_server import FakeIpfs
from tests.train.conftest import WORDS, make_split

T0 = dt.datetime(2020, 1, 1)
N_OLD = 6  # statements in the model's test split (the window ends at the last one's date)
N_NEW = 30  # statements said after it: what the publisher publishes


@dataclass
class PublishStore:
    engine: Engine
    config: Config
    model_id: int
    model_name: str
    old_ids: list[int]
    new_ids: list[int]
    retweet_id: int


@pytest.fixture(scope="session")
def tiny_model_folder(tiny_encoder_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained once per session on the tiny encoder (not registered anywhere)."""
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("publish_models")
    cfg = Config.model_validate(
        {
            "encoder": {"path": str(tiny_encoder_path), "max_length": 32, "batch_size": 8},
            "train": {"epochs": 2, "batch_size": 8},
        }
    )
    splits = {"train": make_split("train", 24, seed=0), "val": make_split("val", 8, seed=1)}
    info = train_model(None, cfg, splits, collection_id=None, out_dir=out)
    return info.folder


def statement_text(i: int) -> str:
    words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(3 + i % 6)]
    if i % 3 == 0:
        words.insert(1, "fake news")
    return " ".join(words)


def add_statements(
    engine: Engine, first: int, n: int, *, day0: dt.datetime, retweet: bool = False, kind: str = "statement_stream"
) -> list[int]:
    """Insert statements ``first … first+n-1`` (every third a tweet), one a day from ``day0``; returns their ids."""
    with engine.begin() as conn:
        src = ensure_source(conn, name=kind, kind=kind)
        rows = [
            {
                "source_id": src,
                "external_id": f"{1000 + i}",
                "text": statement_text(i),
                "text_hash": f"{i:064d}",
                "statement_date": day0 + dt.timedelta(days=k),
                "statement_type": "tweet" if i % 3 == 0 else "speech",
                "word_count": len(statement_text(i).split()),
                "is_retweet": retweet,
                "meta": {"url": f"https://example.org/s/{i}"} if i % 3 else None,
            }
            for k, i in enumerate(range(first, first + n))
        ]
        insert_statements(conn, rows)
        ids = statement_ids(conn, source_id=src, external_ids=[r["external_id"] for r in rows])
    return [ids[r["external_id"]] for r in rows]


def build_store(
    engine: Engine, tiny_model_folder: Path, tmp_path: Path, *, n_new: int = N_NEW, **publish: object
) -> PublishStore:
    """Old statements (the model's test split), new ones after them, a new retweet and claim, a registered model."""
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_folder, folder)
    # Per-type thresholds the labels must follow: every tweet flagged, no speech flagged.
    (folder / THRESHOLDS_FILE).write_text(json.dumps({"thresholds": {"tweet": 1e-9, "non_tweet": 1.0}}))
    old = add_statements(engine, 0, N_OLD, day0=T0)
    new = add_statements(engine, N_OLD, n_new, day0=T0 + dt.timedelta(days=N_OLD))
    retweet = add_statements(engine, 500, 1, day0=T0 + dt.timedelta(days=100), retweet=True)[0]
    add_statements(engine, 600, 1, day0=T0 + dt.timedelta(days=101), kind="label_source")  # a fact-checker's claim
    with engine.begin() as conn:
        coll = conn.execute(
            dataset_collections.insert().values(
                name="c", task="falsehood_binary", content_hash="h" * 64, config={}, counts={}, created_at=T0
            )
        ).inserted_primary_key[0]
        conn.execute(
            dataset_members.insert(),
            [{"collection_id": coll, "statement_id": s, "split": "test", "label": 0} for s in old],
        )
    name = "tiny-publish"
    model_id = register_model_version(
        engine,
        name=name,
        kind="head_on_cached_features",
        task="falsehood_binary",
        encoder="tiny",
        path=str(folder),
        weights_sha256="0" * 64,
        config={},
        dataset_collection_id=int(coll),
    )
    store_track_record(engine, model_id)
    config = Config.model_validate(
        {"paths": {"data_dir": str(tmp_path / "dc")}, "publish": {"batch_size": 4, **publish}}
    )
    return PublishStore(engine, config, model_id, name, old, new, retweet)


def store_track_record(engine: Engine, model_id: int) -> None:
    """Two confidence buckets per scope and a few metrics, as `evaluate` would store them."""
    buckets = []
    for scope in ("all", "tweet", "non_tweet"):
        for b, (lo, hi) in enumerate(((0.5, 0.6), (0.6, 1.0)), 1):
            buckets.append(
                {
                    "scope": scope, "bucket": b, "n": 10 * b, "min_confidence": lo, "max_confidence": hi,
                    "accuracy": 0.5 + 0.2 * b, "ppv": 0.6, "npv": None, "ppr": 0.5, "npr": 0.5, "tp_ratio": 0.25,
                    "tn_ratio": 0.25, "fp_ratio": 0.25, "fn_ratio": 0.25, "mean_word_count": 8.0,
                }
            )  # fmt: skip
    metrics = [
        {"split": "test", "scope": scope, "metric": metric, "value": value, "ci_low": None, "ci_high": None}
        for scope in ("all", "tweet", "non_tweet", "bucket:1")
        for metric, value in (("auc", 0.9), ("mcc", 0.7))
    ]
    with engine.begin() as conn:
        qe.replace_buckets(conn, model_version_id=model_id, collection_id=None, split="test", rows=buckets)
        qe.insert_metrics(conn, model_version_id=model_id, collection_id=None, rows=metrics)


@pytest.fixture
def store(engine: Engine, tiny_model_folder: Path, tmp_path: Path) -> PublishStore:
    """The publish store on SQLite and MariaDB."""
    return build_store(engine, tiny_model_folder, tmp_path)


@pytest.fixture
def ipfs() -> Iterator[FakeIpfs]:
    """A fake IPFS API on an ephemeral port of 127.0.0.1."""
    node = FakeIpfs().start()
    yield node
    node.stop()
