"""Config of the dataset stage: task, filters, splits, balancing, leakage checks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from deep_classiflie.config.base import Strict


class FilterConfig(Strict):
    """The false-truth filter: drop candidate truths that duplicate or nearly duplicate a falsehood.

    Distances are L2 between unit-normalised embeddings (0 = same direction, 2 = opposite), so the
    thresholds are encoder-specific: calibrate them with ``bench/filter.py`` (it prints the distance
    distribution of restated claims vs random pairs and how many truths each threshold removes).
    """

    exact_hash: bool = True
    embedding: Literal["input", "contextual", "none"] = "input"
    top_k: int = Field(default=20, ge=1)
    # Calibrated on all-MiniLM-L6-v2 and the shared Trump data: Toronto Star tweet claims vs the
    # tweets they quote (315 pairs) catch ~50% of those at 0.2 (input) / 0.3 (contextual) with no
    # random pair of 20k below; all 39k own tweets lose ~220 (input) / ~200 (contextual).
    threshold_input: float = Field(default=0.2, ge=0, le=2)
    threshold_contextual: float = Field(default=0.3, ge=0, le=2)
    block_size: int = Field(default=2048, ge=16)
    # Threshold sweep shown in the report: how many truths each candidate threshold would remove.
    sweep: list[float] = [0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4]


class LeakageConfig(Strict):
    """The metadata-only probe: a classifier on (type, month, length) must not predict the label."""

    auc_threshold: float = Field(default=0.65, gt=0.5, le=1)
    features: list[Literal["type", "month", "length"]] = ["type", "month", "length"]


class DatasetConfig(Strict):
    """How ``build-dataset`` turns the store into a labelled, split dataset.

    ``task`` names a task definition in ``configs/tasks/<task>.yaml`` (or is a path to one).
    """

    task: str = "falsehood_binary"
    name: str = "trump_falsehoods"
    min_words: int = Field(default=7, ge=1)
    max_words: int = Field(default=107, ge=1)
    truth_stream_types: list[str] = ["tweet"]
    # Falsehoods kept by statement type (None: all). Set it to the truth types (e.g. [tweet]) to stop
    # the model learning "spoken = false" when the truths are tweets only.
    falsehood_stream_types: list[str] | None = None
    # span: every day between the first and last falsehood; falsehood_months: only months that
    # have falsehoods (keeps the 2018-07 → 2019-07 gap, which has no labels, out of the truths).
    truth_dates: Literal["span", "falsehood_months"] = "falsehood_months"
    converge: bool = True
    converge_bin_width: int = Field(default=1, ge=1)
    splits: tuple[float, float, float] = (0.8, 0.1, 0.1)
    balance: Literal["oversample", "class_weight", "none"] = "oversample"
    max_truths_per_falsehood: float = Field(default=3.0, gt=0)
    seed: int = 42
    # Overrides of the task definition (None: as the task file says).
    label_map: dict[str, int] | None = None
    meta_features: list[str] | None = None
    use_credit_history: bool = False
    filter: FilterConfig = FilterConfig()
    leakage: LeakageConfig = LeakageConfig()
    reuse_cache: bool = True

    @model_validator(mode="after")
    def _check(self) -> DatasetConfig:
        if abs(sum(self.splits) - 1.0) > 1e-6 or min(self.splits) <= 0:
            raise ValueError(f"splits must be three positive fractions summing to 1, got {self.splits}")
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) must not exceed max_words ({self.max_words})")
        return self
