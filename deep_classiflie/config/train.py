"""Config of the model and train stages: encoder and classification head training."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from deep_classiflie.config.base import Strict


class EncoderConfig(Strict):
    """The transformer encoder: a local HF folder, or the offline MiniLM package when ``path`` is null."""

    path: Path | None = None
    max_length: int = Field(128, ge=8, le=512)
    batch_size: int = Field(64, ge=1)
    pooling: Literal["mean", "cls"] = "mean"


class HeadTrainConfig(Strict):
    """Classification head (the original's: pooled + statement-type embedding → LN → FC+ReLU → out)."""

    type_embedding_dim: int = Field(8, ge=1)
    hidden_dim: int = Field(256, ge=1)
    dropout: float = Field(0.1, ge=0, lt=1)
    label_smoothing: float = Field(0.17, ge=0, lt=0.5)
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    epochs: int = Field(30, ge=1)
    batch_size: int = Field(128, ge=1)
    patience: int = Field(5, ge=1)
    seed: int = 42
