"""A tiny model trained once per session, registered into each test's fresh store, and apps built around it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.evaluate.buckets import bucket_table
from deep_classiflie.serve.app import build_state, create_app
from deep_classiflie_db.queries.models import register_model_version
from tests.train.conftest import make_split

API_KEY = "test-admin-key-9f8e7d6c5b4a"


@dataclass(frozen=True)
class Trained:
    folder: Path
    weights_sha256: str


@pytest.fixture(scope="session")
def trained(tiny_encoder_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """A tiny model (learns 'fake news' → falsehood), trained once and not registered anywhere."""
    from deep_classiflie.train.api import train_model

    root = tmp_path_factory.mktemp("serve_model")
    cfg = serve_config(tiny_encoder_path, root)
    splits = {"train": make_split("train", 24, seed=0), "val": make_split("val", 8, seed=1)}
    info = train_model(None, cfg, splits, collection_id=None, out_dir=root / "models")
    return Trained(folder=info.folder, weights_sha256=info.weights_sha256)


def serve_config(encoder: Path, root: Path, explain: dict[str, Any] | None = None, **serve: Any) -> Config:
    """A config for the tiny encoder with ``serve`` overrides (fp32 torch backend unless given)."""
    return Config.model_validate(
        {
            "explain": explain or {},
            "paths": {"data_dir": str(root / "dc"), "runs_dir": str(root / "runs")},
            "encoder": {"path": str(encoder), "max_length": 32, "batch_size": 8},
            "train": {"epochs": 2, "batch_size": 8},
            "serve": {"backend": "torch", **serve},
        }
    )


def register(engine: Engine, trained: Trained, name: str) -> int:
    """Register the trained folder in ``engine`` as version ``name``."""
    return register_model_version(
        engine,
        name=name,
        kind="head_on_cached_features",
        task="binary_falsehood",
        encoder="tiny",
        path=str(trained.folder),
        weights_sha256=trained.weights_sha256,
        config={},
        dataset_collection_id=None,
    )


def make_client(
    engine: Engine, config: Config, *, api_key: str | None = API_KEY, with_buckets: bool = True
) -> TestClient:
    """A TestClient (lifespan not yet entered: use it as a context manager) on the active model."""
    state = build_state(config, engine, api_key=SecretStr(api_key) if api_key else None)
    served = state.holder.current
    assert served is not None
    if with_buckets:
        val = make_split("val", 8, seed=1)
        probs = served.classifier.predict_proba(val.texts, val.type_ids)[:, 1]
        served.buckets = bucket_table(
            probs,
            val.labels,
            val.type_ids,
            np.full(len(val), 5),
            val.statement_ids,
            {"all": 2, "tweet": 2, "non_tweet": 2},
        )
    return TestClient(create_app(state), raise_server_exceptions=False)


@pytest.fixture
def store(sqlite_engine: Engine, trained: Trained) -> Engine:
    """A fresh SQLite store holding one registered version, ``tiny-a``."""
    register(sqlite_engine, trained, "tiny-a")
    return sqlite_engine


@pytest.fixture
def client(store: Engine, tiny_encoder_path: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The service on ``store`` with the torch backend and small limits."""
    config = serve_config(
        tiny_encoder_path,
        tmp_path,
        limits={"max_statements": 8, "max_chars": 200, "max_body_bytes": 4096, "max_explain_statements": 2},
    )
    with make_client(store, config) as c:
        yield c
