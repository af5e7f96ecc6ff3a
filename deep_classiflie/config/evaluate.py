"""Config of the evaluate stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from deep_classiflie.config.base import Strict


class BucketConfig(Strict):
    """Number of NTILE confidence buckets per scope (the original: 25 for non-tweets and all, 10 for tweets)."""

    all: int = Field(default=25, ge=1)
    non_tweet: int = Field(default=25, ge=1)
    tweet: int = Field(default=10, ge=1)


class EvaluateConfig(Strict):
    """Evaluation options."""

    split: Literal["train", "val", "test"] = "test"
    threshold: float = Field(default=0.5, gt=0, lt=1)
    buckets: BucketConfig = BucketConfig()
    bootstrap_samples: int = Field(default=1000, ge=0)
    bootstrap_seed: int = 42
    ci_level: float = Field(default=0.95, gt=0, lt=1)
    temporal_freq: Literal["D", "W", "M"] = "W"
    calibration_bins: int = Field(default=15, ge=2)
    temperature_scaling: bool = False
    batch_size: int = Field(default=256, ge=1)
