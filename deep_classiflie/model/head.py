"""The classification head of the original Deep Classiflie, and its loss.

pooled statement vector ⊕ learned statement-type embedding → LayerNorm → FC + ReLU → classifier.
Binary tasks have one logit (sigmoid, label-smoothed BCE); multi-class tasks one per class (softmax CE).

A hybrid head (``extra_dim > 0``) adds a linear model on the non-text block (sparse TF-IDF, metadata
one-hots; see ``model.sparse``): ``logits = MLP(pooled, type) + gain ⊙ (W · extra + b)``. ``W, b`` come
from a logistic regression fitted on the training split; ``gain`` is learnt with the MLP (see
``train.hybrid``). Heads without extra features have none of these parameters, so old folders load.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from deep_classiflie.core.errors import ModelError

HEAD_CONFIG_FILE = "head_config.json"


@dataclass(frozen=True)
class HeadConfig:
    """Everything needed to rebuild the head; saved as ``head_config.json`` next to the weights."""

    input_dim: int
    num_classes: int = 2
    num_types: int = 2
    type_embedding_dim: int = 8
    hidden_dim: int = 256
    dropout: float = 0.1
    pooling: str = "mean"
    max_length: int = 128
    extra_dim: int = 0  # width of the non-text block (0: the head reads the pooled vector only)

    @property
    def out_dim(self) -> int:
        """One logit for a binary task, else one per class."""
        return 1 if self.num_classes == 2 else self.num_classes

    def save(self, folder: Path) -> None:
        """Write ``head_config.json`` into ``folder``."""
        (folder / HEAD_CONFIG_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> HeadConfig:
        """Read ``head_config.json`` from a model folder."""
        path = folder / HEAD_CONFIG_FILE
        if not path.is_file():
            raise ModelError(f"{folder} has no {HEAD_CONFIG_FILE}", hint="is it a model folder written by `train`?")
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (TypeError, ValueError) as exc:
            raise ModelError(f"{path} is not a valid head config: {exc}", hint="re-train or fix the file") from exc


class ClassifierHead(nn.Module):
    """Type embedding, LayerNorm, FC + ReLU, classifier. ``features`` is the pre-classifier vector."""

    def __init__(self, cfg: HeadConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.type_embedding = nn.Embedding(cfg.num_types, cfg.type_embedding_dim)
        self.norm = nn.LayerNorm(cfg.input_dim + cfg.type_embedding_dim)
        self.fc = nn.Linear(cfg.input_dim + cfg.type_embedding_dim, cfg.hidden_dim)
        self.dropout = nn.Dropout(cfg.dropout)
        self.classifier = nn.Linear(cfg.hidden_dim, cfg.out_dim)
        if cfg.extra_dim > 0:
            self.extra_linear = nn.Linear(cfg.extra_dim, cfg.out_dim)
            self.extra_gain = nn.Parameter(torch.ones(cfg.out_dim))

    def features(self, pooled: torch.Tensor, type_ids: torch.Tensor) -> torch.Tensor:
        """The pre-classifier vector ``[batch, hidden_dim]`` (used for similar-statement search)."""
        x = torch.cat([pooled, self.type_embedding(type_ids).to(pooled.dtype)], dim=-1)
        return torch.relu(self.fc(self.dropout(self.norm(x))))

    def extra_logits(self, extra: torch.Tensor) -> torch.Tensor:
        """The linear model's logits ``[batch, out_dim]`` on the non-text block (before the gain)."""
        if self.cfg.extra_dim == 0:
            raise ModelError("this head reads no extra features", hint="call it without extra=")
        if extra.shape[-1] != self.cfg.extra_dim:
            raise ModelError(
                f"extra feature block has {extra.shape[-1]} columns, the head expects {self.cfg.extra_dim}",
                hint="compute the block with the model folder's own featurizer (Classifier.extra_features)",
            )
        return self.extra_linear(extra.to(self.extra_linear.weight.dtype))

    def forward(
        self,
        pooled: torch.Tensor,
        type_ids: torch.Tensor,
        extra: torch.Tensor | None = None,
        *,
        offset: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits ``[batch]`` for binary tasks, ``[batch, num_classes]`` otherwise.

        A hybrid head needs ``extra`` (the non-text block), or ``offset`` (its linear logits computed
        beforehand, as training on cached features does).
        """
        logits = self.classifier(self.dropout(self.features(pooled, type_ids)))
        if self.cfg.extra_dim > 0:
            if offset is None:
                if extra is None:
                    raise ModelError(
                        "this hybrid head needs the extra feature block", hint="pass extra=classifier.extra_features(…)"
                    )
                offset = self.extra_logits(extra)
            logits = logits + self.extra_gain * offset.to(logits.dtype).reshape(logits.shape)
        return logits.squeeze(-1) if self.cfg.out_dim == 1 else logits


def classification_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    num_classes: int,
    label_smoothing: float,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Label-smoothed BCE (binary: targets pulled to ``s/2`` and ``1 - s/2``) or smoothed softmax CE.

    ``weights`` (per example) carry class balancing; the result is their weighted mean.
    """
    if num_classes == 2:
        target = labels.float() * (1.0 - label_smoothing) + 0.5 * label_smoothing
        per = nn.functional.binary_cross_entropy_with_logits(logits.float(), target, reduction="none")
    else:
        per = nn.functional.cross_entropy(logits.float(), labels, reduction="none", label_smoothing=label_smoothing)
    if weights is None:
        return per.mean()
    weights = weights.float()
    return (per * weights).sum() / weights.sum().clamp(min=1e-12)


def probabilities(logits: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``[batch, num_classes]`` probabilities; for binary tasks column 1 = P(falsehood)."""
    if num_classes == 2:
        p = torch.sigmoid(logits.float())
        return torch.stack([1.0 - p, p], dim=-1)
    return torch.softmax(logits.float(), dim=-1)
