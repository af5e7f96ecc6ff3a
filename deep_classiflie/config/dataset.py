"""Config of the dataset stage: task, filters, splits, balancing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from deep_classiflie.config.base import Strict


class DatasetConfig(Strict):
    """How ``build-dataset`` turns the store into a labelled, split dataset."""

    task: Literal["falsehood_binary"] = "falsehood_binary"
    name: str = "trump_falsehoods"
    min_words: int = Field(7, ge=1)
    max_words: int = Field(107, ge=1)
    truth_stream_types: list[str] = ["tweet"]
    splits: tuple[float, float, float] = (0.8, 0.1, 0.1)
    balance: Literal["oversample", "class_weight", "none"] = "oversample"
    max_truths_per_falsehood: float = Field(3.0, gt=0)
    seed: int = 42

    @model_validator(mode="after")
    def _check(self) -> DatasetConfig:
        if abs(sum(self.splits) - 1.0) > 1e-6 or min(self.splits) <= 0:
            raise ValueError(f"splits must be three positive fractions summing to 1, got {self.splits}")
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) must not exceed max_words ({self.max_words})")
        return self
