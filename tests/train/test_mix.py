"""``train.hybrid.mix: auto``: the mix chosen by out-of-fold log-loss on the training split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from deep_classiflie.config import Config
from deep_classiflie.config.train import HeadTrainConfig, HybridConfig
from deep_classiflie.train.api import train_model
from deep_classiflie.train.hybrid import fold_indices
from deep_classiflie.train.mix import MIX_GRID, choose_mix, oof_head_logits, take


def _planted(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, logits that know them (±3), logits that are noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    good = np.where(y == 1, 3.0, -3.0)[:, None] + rng.normal(0, 0.5, size=(n, 1))
    noise = rng.normal(0, 1, size=(n, 1))
    return y, good.astype(np.float32), noise.astype(np.float32)


def test_choose_mix_trusts_the_block_that_knows_the_labels() -> None:
    y, good, noise = _planted()
    w = np.ones(len(y))
    assert choose_mix(noise, good, y, w, 2)[0] == 0.9  # the grid stops at 0.9: the encoder always counts
    assert choose_mix(noise, good, y, w, 2, grid=(0.0, 0.5, 1.0))[0] == 1.0
    assert choose_mix(good, noise, y, w, 2)[0] == 0.0
    mix, losses = choose_mix(good, good, y, w, 2)  # identical blocks: every mix ties, 0.5 wins the tie
    assert mix == 0.5 and set(losses) == set(MIX_GRID)


def test_choose_mix_in_between_and_multiclass() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=600)
    truth = np.eye(3)[y] * 2.0
    # each block alone is right about half the rows and confidently wrong on the rest: the mix beats both
    a = np.where((np.arange(600) % 2 == 0)[:, None], truth, np.roll(truth, 1, axis=1)).astype(np.float32)
    b = np.where((np.arange(600) % 2 == 1)[:, None], truth, np.roll(truth, 1, axis=1)).astype(np.float32)
    mix, losses = choose_mix(a, b, y, np.ones(600), 3)
    assert 0.0 < mix < 0.9 and losses[mix] < min(losses[0.0], losses[0.9])


def test_sample_weights_count_in_the_loss() -> None:
    y, good, noise = _planted()
    half = np.arange(len(y)) < len(y) // 2
    mlp = np.where(half[:, None], good, noise)  # right on the first half
    linear = np.where(half[:, None], noise, good)  # right on the second half
    assert choose_mix(mlp, linear, y, np.where(half, 10.0, 0.1), 2)[0] < 0.5
    assert choose_mix(mlp, linear, y, np.where(half, 0.1, 10.0), 2)[0] > 0.5


def test_oof_head_logits_come_from_heads_that_did_not_see_the_row(tiny_splits) -> None:
    train = tiny_splits["train"]
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(len(train), 6)).astype(np.float32)
    feats[:, 0] = np.where(train.labels == 1, 2.0, -2.0)  # a feature that gives the label away
    cfg = HeadTrainConfig(epochs=30, hidden_dim=8, lr=0.05, batch_size=8)
    oof = oof_head_logits(train, feats, cfg, 2, folds=3, seed=0)
    assert oof.shape == (len(train), 1) and np.isfinite(oof).all()
    assert ((oof[:, 0] > 0).astype(int) == train.labels).mean() >= 0.75
    np.testing.assert_array_equal(oof, oof_head_logits(train, feats, cfg, 2, folds=3, seed=0))  # deterministic
    # a row whose give-away feature is replaced by noise in the fit folds only: its own fold never learnt from it,
    # so changing a held-out row's features changes no other row of its fold
    shifted = feats.copy()
    shifted[0] += 5.0
    again = oof_head_logits(train, shifted, cfg, 2, folds=3, seed=0)
    changed = np.flatnonzero(np.abs(again[:, 0] - oof[:, 0]) > 1e-6)
    assert 0 in changed and len(changed) > 1  # row 0 itself, and the rows of the folds whose heads trained on it
    own_fold = next(held for _, held in fold_indices(train.labels, 3, 0) if 0 in held)
    assert set(changed.tolist()) & set(own_fold.tolist()) == {0}  # its own fold's head never saw row 0
    sub = take(train, np.arange(6), "six")
    assert sub.name == "six" and len(sub) == 6 and sub.texts == train.texts[:6]


def test_mix_config_accepts_auto_or_a_share() -> None:
    assert HybridConfig().mix == "auto"
    assert HybridConfig(mix=0.3).mix == 0.3
    with pytest.raises(ValidationError, match="between 0 and 1"):
        HybridConfig(mix=1.5)
    with pytest.raises(ValidationError):
        HybridConfig(mix="sometimes")  # type: ignore[arg-type]


def test_train_model_records_the_auto_mix(sqlite_engine, tiny_encoder_path, tiny_splits, tmp_path: Path) -> None:
    cfg = Config.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "dc"), "runs_dir": str(tmp_path / "runs")},
            "encoder": {"path": str(tiny_encoder_path), "max_length": 32, "batch_size": 8},
            "train": {"epochs": 3, "batch_size": 8, "hybrid": {"tfidf": {"min_df": 1}, "folds": 2}},
        }
    )
    info = train_model(sqlite_engine, cfg, tiny_splits, collection_id=None, out_dir=tmp_path / "models")
    extra = json.loads((info.folder / "training.json").read_text())["extra_features"]
    assert extra["mix"] in MIX_GRID and extra["mix_chosen_by"].startswith("out-of-fold")
    assert set(extra["mix_oof_loss"]) == {str(m) for m in MIX_GRID}
    losses = {float(k): v for k, v in extra["mix_oof_loss"].items()}
    assert losses[extra["mix"]] == min(losses.values())
