"""Feature cache (only new texts are encoded) and the head trained on cached features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import deep_classiflie.train.features as features
from deep_classiflie.config.train import HeadTrainConfig
from deep_classiflie.core.errors import ModelError
from deep_classiflie.model.encoder import load_encoder
from deep_classiflie.train.features import cached_features
from deep_classiflie.train.head import train_head_on_features


def test_cache_encodes_only_new_texts(tiny_encoder_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = load_encoder(tiny_encoder_path)
    seen: list[int] = []
    real = features.embed_texts

    def counting(enc, texts, **kw):  # type: ignore[no-untyped-def]
        seen.append(len(texts))
        return real(enc, texts, **kw)

    monkeypatch.setattr(features, "embed_texts", counting)
    kw = {"cache_dir": tmp_path, "max_length": 32, "batch_size": 4, "pooling": "mean"}
    first = cached_features(encoder, ["fake news", "great jobs", "fake news"], **kw)
    second = cached_features(encoder, ["great jobs", "the wall", "fake news"], **kw)
    assert seen == [2, 1]  # duplicates once, cached texts never again
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])
    assert first.shape == (3, 32) and first.dtype == np.float32
    assert len(list(tmp_path.glob("*/shard-*.safetensors"))) == 2


def test_head_learns_from_features(tiny_splits) -> None:
    rng = np.random.default_rng(0)
    feats = {}
    for name, split in tiny_splits.items():
        x = rng.normal(size=(len(split), 12)).astype(np.float32)
        x[:, 0] += 3 * (split.labels * 2 - 1)  # the label is readable from feature 0
        feats[name] = x
    cfg = HeadTrainConfig(epochs=40, batch_size=8, lr=1e-2, patience=40, hidden_dim=16)
    result = train_head_on_features(tiny_splits["train"], tiny_splits["val"], feats, cfg, 2)
    assert result.val_metrics["val_acc"] == 1.0
    assert result.history[0]["val_loss"] > result.val_metrics["val_loss"]
    assert set(result.state_dict) >= {"fc.weight", "classifier.weight", "type_embedding.weight"}


def test_feature_rows_must_match_the_split(tiny_splits) -> None:
    feats = {"train": np.zeros((3, 4), np.float32), "val": np.zeros((8, 4), np.float32)}
    with pytest.raises(ModelError, match="24 statements but 3 feature rows"):
        train_head_on_features(tiny_splits["train"], tiny_splits["val"], feats, HeadTrainConfig(), 2)
