"""Fixtures of the bot tests: one tiny trained model per session, a running fake API per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from deep_classiflie.config import Config
from tests.bot.fake_api import FakeNetwork


@pytest.fixture(scope="session")
def trained_tiny(tiny_encoder_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny head model trained once (its folder; copied and registered by each test)."""
    from deep_classiflie.train.api import train_model
    from tests.train.conftest import make_split

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("bot_model")
    cfg = Config.model_validate(
        {
            "paths": {"data_dir": str(out / "dc"), "runs_dir": str(out / "runs")},
            "encoder": {"path": str(tiny_encoder_path), "max_length": 32, "batch_size": 8},
            "train": {"epochs": 1, "batch_size": 8},
        }
    )
    splits = {"train": make_split("train", 16, seed=0), "val": make_split("val", 8, seed=1)}
    info = train_model(None, cfg, splits, collection_id=None, out_dir=out / "models")
    return info.folder


@pytest.fixture
def fake() -> Iterator[FakeNetwork]:
    """The fake Twitter/Mastodon API on an ephemeral port of 127.0.0.1."""
    network = FakeNetwork().start()
    yield network
    network.stop()


@pytest.fixture
def ready(sqlite_engine, trained_tiny: Path, tmp_path: Path):
    """A SQLite store with the tiny model registered (every statement flagged) and high-PPV buckets."""
    from tests.bot.helpers import register_tiny_model, store_buckets

    model = register_tiny_model(sqlite_engine, trained_tiny, tmp_path)
    store_buckets(sqlite_engine, model["id"])
    return sqlite_engine
