"""``train.hybrid.mix: auto``: how much the hybrid head trusts its linear block, chosen on the training split.

The head's logits are ``(1 - mix) · MLP + mix · linear``. Which mix is best depends on the task (on LIAR with
metadata the sparse block carries most of the signal, on MediaEval the two are close), so a fixed 0.5 serves
some tasks badly; tuning it on validation would make the validation figures optimistic. Instead:

1. the linear model's out-of-fold logits on train (``fit_linear``; each row from a model that did not see it);
2. the MLP's out-of-fold logits on the same folds: one MLP per fold, trained on the other folds with early
   stopping on a tenth of those (``oof_head_logits``), so no held-out row influences the head that scores it;
3. the mix on a grid of 0, 0.1, … 0.9 (not 1: the encoder must reach the logits, or the explain stage's
   attributions over the text embeddings would all be 0) with the lowest weighted log-loss of the mixed out-of-fold logits
   (``choose_mix``, pure); ties (to 6 decimals) go to the value nearest 0.5.

Cost: ``folds`` more MLP fits on cached features (seconds to a minute on 2 cores).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from deep_classiflie.config.train import HeadTrainConfig
from deep_classiflie.dataset.types import DatasetSplit
from deep_classiflie.model.head import ClassifierHead
from deep_classiflie.train.head import train_head_on_features
from deep_classiflie.train.hybrid import fold_indices, weighted_log_loss

# Up to 0.9, not 1: with mix 1 the encoder's vector would not reach the logits, and the explain stage's
# integrated gradients (over the text embeddings) would give every word 0.
MIX_GRID = tuple(i / 10 for i in range(10))


def take(split: DatasetSplit, rows: np.ndarray, name: str) -> DatasetSplit:
    """The rows ``rows`` of ``split`` as a split called ``name``."""
    return replace(
        split,
        name=name,
        statement_ids=split.statement_ids[rows],
        texts=[split.texts[i] for i in rows],
        labels=split.labels[rows],
        type_ids=split.type_ids[rows],
        weights=split.weights[rows],
        dates=split.dates[rows],
        meta=None if split.meta is None else split.meta[rows],
    )


def oof_head_logits(
    train: DatasetSplit,
    feats: np.ndarray,
    cfg: HeadTrainConfig,
    num_classes: int,
    *,
    folds: int,
    seed: int,
    pooling: str = "mean",
    max_length: int = 128,
) -> np.ndarray:
    """``[n_train, out_dim]`` MLP logits, each row from a head trained on the other folds (step 2)."""
    out_dim = 1 if num_classes == 2 else num_classes
    oof = np.zeros((len(train), out_dim), dtype=np.float32)
    for k, (other_rows, held_rows) in enumerate(fold_indices(train.labels, folds, seed)):
        fit_rows, stop_rows = _stop_split(other_rows, train.labels[other_rows], seed)
        fit, stop = take(train, fit_rows, f"fold{k}_fit"), take(train, stop_rows, f"fold{k}_stop")
        held = take(train, held_rows, f"fold{k}_held")
        result = train_head_on_features(
            fit,
            stop,
            {fit.name: feats[fit_rows], stop.name: feats[stop_rows]},
            cfg,
            num_classes,
            pooling=pooling,
            max_length=max_length,
        )
        head = ClassifierHead(result.head_config)
        head.load_state_dict(result.state_dict)
        head.eval()
        with torch.no_grad():
            logits = head(torch.as_tensor(feats[held_rows]), torch.as_tensor(held.type_ids, dtype=torch.long))
        oof[held_rows] = logits.numpy().reshape(len(held_rows), out_dim)
    return oof


def _stop_split(rows: np.ndarray, labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` split about 90/10 (stratified where every class has two rows): fit rows, early-stopping rows."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(labels)
    present = counts[counts > 0]
    stratified = present.min() >= 2
    n_stop = max(int(np.ceil(0.1 * len(rows))), len(present) if stratified else 1)
    fit, stop = train_test_split(rows, test_size=n_stop, random_state=seed, stratify=labels if stratified else None)
    return np.sort(fit), np.sort(stop)


def choose_mix(
    mlp_logits: np.ndarray,
    linear_logits: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    num_classes: int,
    grid: tuple[float, ...] = MIX_GRID,
) -> tuple[float, dict[float, float]]:
    """Step 3: the grid value with the lowest weighted log-loss of ``(1 - m) · mlp + m · linear``, and all losses."""
    y = np.asarray(labels, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.mean() if w.mean() > 0 else np.ones_like(w)
    losses = {m: weighted_log_loss((1 - m) * mlp_logits + m * linear_logits, y, w, num_classes) for m in grid}
    best = min(grid, key=lambda m: (round(losses[m], 6), abs(m - 0.5)))
    return best, losses
