"""The hybrid head trained on cached features: linear block by CV, class weights, stored thresholds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from deep_classiflie.config import Config
from deep_classiflie.model.classifier import load_classifier
from deep_classiflie.model.sparse import EXTRA_CONFIG_FILE
from deep_classiflie.train.api import train_model
from deep_classiflie.train.head import training_weights
from deep_classiflie.train.hybrid import fit_linear
from deep_classiflie_db.queries.models import get_model_version
from tests.train.conftest import make_split


def _config(tmp_path: Path, encoder: Path, **train: object) -> Config:
    return Config.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "dc"), "runs_dir": str(tmp_path / "runs")},
            "encoder": {"path": str(encoder), "max_length": 32, "batch_size": 8},
            "train": {"epochs": 3, "batch_size": 8, **train},
        }
    )


def test_balanced_class_weights_of_an_imbalanced_split() -> None:
    split = make_split("train", 12, seed=0)
    split = replace(split, labels=np.array([0] * 9 + [1] * 3))
    w = training_weights(split, "balanced")
    # n / (k · n_c): 12 / (2 · 9) and 12 / (2 · 3); each class then weighs the same in total
    np.testing.assert_allclose(w[:9], 12 / 18)
    np.testing.assert_allclose(w[9:], 2.0)
    assert w[:9].sum() == pytest.approx(w[9:].sum())
    assert training_weights(split, "none").tolist() == [1.0] * 12
    assert training_weights(replace(split, weights=np.full(12, 3.0, np.float32)), "dataset").tolist() == [3.0] * 12


@pytest.mark.parametrize("num_classes", [2, 3], ids=["binary", "three-class"])
def test_linear_block_picks_c_by_cv_and_gives_out_of_fold_logits(num_classes: int) -> None:
    rng = np.random.default_rng(0)
    y = np.arange(90) % num_classes
    x = sp.csr_matrix(np.eye(num_classes)[y] * 2 + rng.normal(0, 1, (90, num_classes)))
    fit = fit_linear(x, y, np.ones(90), num_classes=num_classes, cs=[0.01, 1.0], folds=3, seed=0)
    out_dim = 1 if num_classes == 2 else num_classes
    assert fit.weight.shape == (out_dim, num_classes) and fit.train_oof_logits.shape == (90, out_dim)
    assert fit.c == min(fit.cv_loss, key=fit.cv_loss.get)
    # out-of-fold logits come from models that did not see the row: not the refit's logits
    assert not np.allclose(fit.train_oof_logits, fit.logits(x))
    pred = fit.logits(x)[:, 0] > 0 if num_classes == 2 else fit.logits(x).argmax(1)
    assert (pred.astype(int) == y).mean() > 0.8


def test_hybrid_model_folder_stores_features_and_thresholds_and_registers_them(
    sqlite_engine, tiny_encoder_path, tiny_splits, tmp_path
) -> None:
    # mix 1: the linear model alone decides (the tiny random encoder's MLP is noise on 24 rows)
    hybrid = {"tfidf": {"min_df": 1}, "cs": [1.0], "folds": 2, "mix": 1.0}
    cfg = _config(tmp_path, tiny_encoder_path, hybrid=hybrid)
    info = train_model(sqlite_engine, cfg, tiny_splits, collection_id=None, out_dir=tmp_path / "models")
    stored = json.loads((info.folder / "thresholds.json").read_text())
    assert stored["objective"] == "mcc" and {"all", "tweet", "non_tweet"} <= set(stored["thresholds"])
    # a handful of validation rows per type: both types take the cut of all rows, and the file says why
    assert stored["min_per_class"] == 30 and set(stored["uses_all"]) == {"tweet", "non_tweet"}
    assert stored["thresholds"]["tweet"] == stored["thresholds"]["non_tweet"] == stored["thresholds"]["all"]
    assert (info.folder / EXTRA_CONFIG_FILE).is_file()
    row = get_model_version(sqlite_engine, model_version_id=info.model_version_id)
    assert row is not None and row["head_features"] == ["tfidf"]
    assert row["thresholds"] == pytest.approx(stored["thresholds"])
    clf = load_classifier(info.folder)
    assert clf.thresholds == pytest.approx(stored["thresholds"])
    assert clf.threshold_for("speech") == pytest.approx(stored["thresholds"]["non_tweet"])
    assert clf.head_config.extra_dim == len(clf.featurizer.vocabulary)  # type: ignore[union-attr]
    # "fake news" makes the label: TF-IDF sees it, so the hybrid ranks validation's positives higher
    val = tiny_splits["val"]
    p = clf.predict_proba(val.texts, val.type_ids)[:, 1]
    assert p[val.labels == 1].mean() > p[val.labels == 0].mean() + 0.05


def test_features_off_gives_the_plain_head(sqlite_engine, tiny_encoder_path, tiny_splits, tmp_path) -> None:
    cfg = _config(tmp_path, tiny_encoder_path, hybrid={"features": []}, threshold_objective="fixed")
    info = train_model(sqlite_engine, cfg, tiny_splits, collection_id=None, out_dir=tmp_path / "models")
    assert not (info.folder / EXTRA_CONFIG_FILE).exists()
    clf = load_classifier(info.folder)
    assert clf.head_config.extra_dim == 0 and clf.featurizer is None
    assert clf.thresholds == {"all": 0.5, "tweet": 0.5, "non_tweet": 0.5}
    row = get_model_version(sqlite_engine, model_version_id=info.model_version_id)
    assert row is not None and row["head_features"] is None


def test_average_head_mixes_the_mlp_and_the_linear_logits(tiny_splits) -> None:
    import torch

    from deep_classiflie.config.train import HeadTrainConfig
    from deep_classiflie.model.head import ClassifierHead
    from deep_classiflie.train.head import LinearBlock, train_head_on_features
    from deep_classiflie.train.hybrid import average_head

    train, val = tiny_splits["train"], tiny_splits["val"]
    rng = np.random.default_rng(0)
    feats = {"train": rng.normal(size=(len(train), 6)).astype(np.float32), "val": rng.normal(size=(len(val), 6))}
    mlp = train_head_on_features(train, val, feats, HeadTrainConfig(epochs=2, hidden_dim=4), 2)
    weight, bias = rng.normal(size=(1, 5)).astype(np.float32), np.array([0.3], np.float32)
    block = rng.normal(size=(len(val), 5)).astype(np.float32)
    linear = LinearBlock(weight, bias, {"val": block @ weight.T + bias})
    mixed = average_head(mlp, linear, val, feats["val"], mix=0.25, smoothing=0.0)
    alone = ClassifierHead(mlp.head_config)
    alone.load_state_dict(mlp.state_dict)
    hybrid = ClassifierHead(mixed.head_config)
    hybrid.load_state_dict(mixed.state_dict)
    x, t = torch.as_tensor(feats["val"], dtype=torch.float32), torch.as_tensor(val.type_ids)
    with torch.no_grad():
        expected = 0.75 * alone.eval()(x, t) + 0.25 * torch.as_tensor(linear.offsets["val"][:, 0])
        got = hybrid.eval()(x, t, extra=torch.as_tensor(block))
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    p = mixed.val_probabilities
    assert p is not None
    np.testing.assert_allclose(p[:, 1], torch.sigmoid(expected).numpy(), atol=1e-5)


def test_stacking_is_still_a_config_choice(sqlite_engine, tiny_encoder_path, tiny_splits, tmp_path) -> None:
    hybrid = {"tfidf": {"min_df": 1}, "cs": [1.0], "folds": 2, "combine": "stack"}
    info = train_model(
        sqlite_engine,
        _config(tmp_path, tiny_encoder_path, hybrid=hybrid),
        tiny_splits,
        collection_id=None,
        out_dir=tmp_path / "models",
    )
    clf = load_classifier(info.folder)
    val = tiny_splits["val"]
    assert clf.head_config.extra_dim > 0 and clf.predict_proba(val.texts, val.type_ids).shape == (len(val), 2)
