"""Config of the model and train stages: encoder, classification head training, thaw-schedule fine-tuning."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from deep_classiflie.config.base import Strict


class EncoderConfig(Strict):
    """The transformer encoder: a local HF folder, the name of a packaged encoder (``all-MiniLM-L6-v2``,
    ``all-mpnet-base-v2``: ``deep_classiflie/model/packaged.py``), or the offline MiniLM when ``path`` is null."""

    path: Path | None = None
    max_length: int = Field(default=128, ge=8, le=512)
    batch_size: int = Field(default=64, ge=1)
    pooling: Literal["mean", "cls", "pooler"] = "mean"


class FinetuneConfig(Strict):
    """``train --full``: fine-tune encoder + head phase by phase following a thaw schedule (YAML data).

    ``schedule`` null means the default schedule generated for the encoder (``schedule write``).
    """

    schedule: Path | None = None
    base_lr: float = Field(default=1e-5, gt=0)  # lr of phase 0 (the head) unless the schedule sets one
    max_epochs: int = Field(default=12, ge=1)
    batch_size: int = Field(default=32, ge=1)
    grad_clip: float = Field(default=1.0, ge=0)  # 0 disables clipping
    warmup_steps: int = Field(default=0, ge=0)
    monitor: Literal["val_loss", "val_mcc", "val_auc"] = "val_loss"
    patience: int = Field(default=2, ge=1)
    top_k: int = Field(default=3, ge=1)  # checkpoints kept (best by the monitored metric)
    swa: Literal["none", "top_k", "last_n"] = "top_k"  # average the top-k (or last-n) checkpoints
    swa_n: int = Field(default=3, ge=1)
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # auto: bf16 autocast on GPU, fp32 on CPU
    max_steps: int | None = Field(default=None, ge=1)  # stop early (smoke runs, tests)
    log_every: int = Field(default=10, ge=1)


class TfidfConfig(Strict):
    """The TF-IDF block of a hybrid head (scikit-learn ``TfidfVectorizer`` fitted on the training split)."""

    ngram_max: int = Field(default=2, ge=1, le=3)
    min_df: int = Field(default=2, ge=1)
    max_features: int | None = Field(default=50_000, ge=1)
    sublinear_tf: bool = True


class HybridConfig(Strict):
    """What the head reads besides the pooled text vector (``train.hybrid``).

    ``features`` null: as the task YAML says (``head_features``); ``[]``: the pooled vector only.
    The linear model on the block picks its L2 strength from ``cs`` by ``folds``-fold CV on train (one value:
    no choice, only the out-of-fold logits the MLP trains on; each extra value costs ``folds`` more fits).
    """

    features: list[Literal["tfidf", "meta"]] | None = None
    tfidf: TfidfConfig = TfidfConfig()
    cs: list[float] = Field(default=[1.0], min_length=1)
    folds: int = Field(default=3, ge=2)
    # average: the MLP and the linear model trained apart, logits mixed (1 - mix) · MLP + mix · linear;
    # stack: the MLP trained on top of the linear model's out-of-fold logits (needs folds more LR fits).
    combine: Literal["average", "stack"] = "average"
    # auto: the mix with the lowest out-of-fold log-loss on the training split (folds more MLP and LR fits;
    # never tuned on validation); a number fixes it.
    mix: float | Literal["auto"] = "auto"

    @field_validator("mix")
    @classmethod
    def _mix_in_range(cls, value: float | str) -> float | str:
        if isinstance(value, float | int) and not 0 <= value <= 1:
            raise ValueError("train.hybrid.mix must be between 0 and 1, or auto")
        return value


class HeadTrainConfig(Strict):
    """Classification head (the original's: pooled + statement-type embedding → LN → FC+ReLU → out)."""

    type_embedding_dim: int = Field(default=8, ge=1)
    hidden_dim: int = Field(default=256, ge=1)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    label_smoothing: float = Field(default=0.17, ge=0, lt=0.5)
    lr: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=1e-4, ge=0)
    epochs: int = Field(default=30, ge=1)
    batch_size: int = Field(default=128, ge=1)
    patience: int = Field(default=5, ge=1)
    seed: int = 42
    num_types: int = Field(default=2, ge=1)  # statement-type ids (tweet / non-tweet by default)
    # dataset: the split's weights (oversampled copies / class weights, as dataset.balance made them);
    # balanced: n / (k · n_c) per class whatever the dataset did; none: every row weighs 1.
    class_weight: Literal["dataset", "balanced", "none"] = "dataset"
    # Binary tasks: decision threshold per statement type chosen on validation by this objective.
    threshold_objective: Literal["mcc", "f1", "youden", "accuracy", "fixed"] = "mcc"
    # ... bagged: the median of the best cuts of this many bootstrap resamples of validation (0: the plain best)
    threshold_bootstrap: int = Field(default=200, ge=0)
    # ... a type with fewer validation rows than this of either class takes the cut of all rows
    threshold_min_per_class: int = Field(default=30, ge=1)
    hybrid: HybridConfig = HybridConfig()
    finetune: FinetuneConfig = FinetuneConfig()

    @model_validator(mode="after")
    def _check(self) -> HeadTrainConfig:
        if self.finetune.swa == "top_k" and self.finetune.swa_n > self.finetune.top_k:
            raise ValueError(f"finetune.swa_n ({self.finetune.swa_n}) exceeds finetune.top_k ({self.finetune.top_k})")
        return self
