"""The inference service around a model trained on the tiny encoder, driven over HTTP in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from deep_classiflie.config import Config
from deep_classiflie.core.errors import ModelError
from deep_classiflie.evaluate.buckets import bucket_table
from deep_classiflie.serve.app import create_app, load_served
from deep_classiflie.train.api import train_model
from tests.train.conftest import make_split


@pytest.fixture
def client(sqlite_engine, tiny_encoder_path: Path, tmp_path: Path) -> TestClient:
    cfg = Config.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "dc"), "runs_dir": str(tmp_path / "runs")},
            "encoder": {"path": str(tiny_encoder_path), "max_length": 32, "batch_size": 8},
            "train": {"epochs": 2, "batch_size": 8},
        }
    )
    splits = {"train": make_split("train", 24, seed=0), "val": make_split("val", 8, seed=1)}
    train_model(sqlite_engine, cfg, splits, collection_id=None, out_dir=tmp_path / "models")
    served = load_served(sqlite_engine, None, threshold=0.5)
    assert served.buckets is None  # never evaluated: no bucket record to attach
    val = splits["val"]
    probs = served.classifier.predict_proba(val.texts, val.type_ids)[:, 1]
    served.buckets = bucket_table(
        probs, val.labels, val.type_ids, np.full(len(val), 5), val.statement_ids, {"all": 2, "tweet": 2, "non_tweet": 2}
    )
    return TestClient(create_app(served))


def test_predict_returns_probability_label_and_bucket(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/model").json()["kind"] == "head_on_cached_features"
    response = client.post("/predict", json={"texts": ["fake news is big", "the wall"], "statement_type": "tweet"})
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 2
    for item in body:
        assert 0.0 <= item["probability"] <= 1.0
        assert item["confidence"] == pytest.approx(max(item["probability"], 1 - item["probability"]))
        assert item["label"] == ("likely falsehood" if item["probability"] >= 0.5 else "not flagged")
        assert item["bucket"]["scope"] in ("tweet", "all")


@pytest.mark.parametrize(
    ("payload", "status"),
    [({"texts": []}, 422), ({"texts": ["   "]}, 422), ({"text": "x"}, 422)],
    ids=["no-texts", "empty-after-cleaning", "wrong-field"],
)
def test_bad_requests_are_422(client: TestClient, payload: dict[str, object], status: int) -> None:
    assert client.post("/predict", json=payload).status_code == status


def test_no_model_is_a_clear_error(sqlite_engine) -> None:
    with pytest.raises(ModelError, match="no model versions yet"):
        load_served(sqlite_engine, None, threshold=0.5)
