"""Train the classification head on cached, frozen encoder features: seconds on a CPU.

This is the demo's path: features come from ``features.cached_features``; the head is the same module
that sits on top of the encoder in a fine-tuned model, so the saved folder predicts raw text end to end.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from deep_classiflie.config.train import HeadTrainConfig
from deep_classiflie.core.errors import ModelError
from deep_classiflie.dataset.types import DatasetSplit
from deep_classiflie.model.head import ClassifierHead, HeadConfig, classification_loss, probabilities
from deep_classiflie.train.metrics import classification_metrics


@dataclass
class TrainResult:
    """What a training run hands back: the best weights and how it got there."""

    state_dict: dict[str, torch.Tensor]
    head_config: HeadConfig
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    val_metrics: dict[str, float] = field(default_factory=dict)
    val_probabilities: np.ndarray | None = None  # [n_val, K] of the kept epoch (thresholds are chosen on them)


@dataclass
class LinearBlock:
    """A hybrid head's linear model (fitted beforehand) and its logits on each split (the MLP's offsets)."""

    weight: np.ndarray  # [out_dim, extra_dim]
    bias: np.ndarray  # [out_dim]
    offsets: dict[str, np.ndarray]  # split name → [n, out_dim]


def _tensors(split: DatasetSplit, feats: np.ndarray) -> tuple[torch.Tensor, ...]:
    if len(feats) != len(split):
        raise ModelError(
            f"split {split.name!r} has {len(split)} statements but {len(feats)} feature rows",
            hint="compute the features from this split's texts (cached_features)",
        )
    return (
        torch.as_tensor(feats, dtype=torch.float32),
        torch.as_tensor(split.type_ids, dtype=torch.long),
        torch.as_tensor(split.labels, dtype=torch.long),
        torch.as_tensor(split.weights, dtype=torch.float32),
    )


def training_weights(split: DatasetSplit, how: str) -> np.ndarray:
    """Per-row loss weights: the split's own (``dataset``), sklearn-balanced per class, or all 1."""
    if how == "dataset":
        return np.asarray(split.weights, dtype=np.float32)
    if how == "none":
        return np.ones(len(split), dtype=np.float32)
    labels = np.asarray(split.labels, dtype=np.int64)
    counts = np.bincount(labels)
    per_class = len(labels) / (np.count_nonzero(counts) * np.maximum(counts, 1))
    return per_class[labels].astype(np.float32)


@torch.no_grad()
def evaluate_head(
    head: ClassifierHead,
    feats: torch.Tensor,
    types: torch.Tensor,
    labels: torch.Tensor,
    *,
    smoothing: float,
    offset: torch.Tensor | None = None,
) -> tuple[dict[str, float], np.ndarray]:
    """Validation loss (unweighted), classification metrics and probabilities of a head on features."""
    head.eval()
    logits = head(feats, types, offset=offset)
    loss = classification_loss(logits, labels, num_classes=head.cfg.num_classes, label_smoothing=smoothing)
    probs = probabilities(logits, head.cfg.num_classes).numpy()
    return {"val_loss": float(loss), **classification_metrics(probs, labels.numpy())}, probs


def train_head_on_features(
    train: DatasetSplit,
    val: DatasetSplit,
    feats: dict[str, np.ndarray],
    cfg: HeadTrainConfig,
    num_classes: int,
    *,
    pooling: str = "mean",
    max_length: int = 128,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
    linear: LinearBlock | None = None,
) -> TrainResult:
    """Train the head with AdamW, keep the weights of the best validation-loss epoch.

    1. Seed torch; build the head for the features' width (hybrid: the linear block's weights go in
       frozen, its logits on each split are the MLP's fixed offsets; see ``train.hybrid``).
    2. Each epoch: shuffle with a per-epoch generator, step over mini-batches with the weighted loss.
    3. Evaluate on val; keep the best state; stop after ``patience`` epochs without improvement.

    ``on_epoch(epoch, val_metrics)`` is called after each epoch (hyperparameter search prunes from it by raising).
    """
    torch.manual_seed(cfg.seed)
    x_tr, t_tr, y_tr, _ = _tensors(train, feats[train.name])
    w_tr = torch.as_tensor(training_weights(train, cfg.class_weight))
    x_va, t_va, y_va, _ = _tensors(val, feats[val.name])
    off_tr = off_va = None
    if linear is not None:
        off_tr = torch.as_tensor(linear.offsets[train.name], dtype=torch.float32)
        off_va = torch.as_tensor(linear.offsets[val.name], dtype=torch.float32)
    head_cfg = HeadConfig(
        input_dim=x_tr.shape[1],
        num_classes=num_classes,
        num_types=cfg.num_types,
        type_embedding_dim=cfg.type_embedding_dim,
        hidden_dim=cfg.hidden_dim,
        dropout=cfg.dropout,
        pooling=pooling,
        max_length=max_length,
        extra_dim=0 if linear is None else int(linear.weight.shape[1]),
    )
    head = ClassifierHead(head_cfg)
    if linear is not None:
        with torch.no_grad():
            head.extra_linear.weight.copy_(torch.as_tensor(linear.weight))
            head.extra_linear.bias.copy_(torch.as_tensor(linear.bias))
        head.extra_linear.requires_grad_(False)
    params = [p for p in head.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    result = TrainResult(state_dict=copy.deepcopy(head.state_dict()), head_config=head_cfg)
    best, stale = float("inf"), 0
    for epoch in range(cfg.epochs):
        head.train()
        order = torch.randperm(len(x_tr), generator=torch.Generator().manual_seed(cfg.seed + epoch))
        total = 0.0
        for start in range(0, len(order), cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            loss = classification_loss(
                head(x_tr[idx], t_tr[idx], offset=None if off_tr is None else off_tr[idx]),
                y_tr[idx],
                num_classes=num_classes,
                label_smoothing=cfg.label_smoothing,
                weights=w_tr[idx],
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        metrics, probs = evaluate_head(head, x_va, t_va, y_va, smoothing=cfg.label_smoothing, offset=off_va)
        result.history.append({"epoch": epoch, "train_loss": total / max(len(order), 1), **metrics})
        if on_epoch is not None:
            on_epoch(epoch, metrics)
        if metrics["val_loss"] < best:
            best, stale = metrics["val_loss"], 0
            result.state_dict = copy.deepcopy(head.state_dict())
            result.best_epoch, result.val_metrics, result.val_probabilities = epoch, metrics, probs
        else:
            stale += 1
            if stale >= cfg.patience:
                break
    return result
