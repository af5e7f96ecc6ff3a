"""Config of the evaluate stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from deep_classiflie.config.base import Strict


class EvaluateConfig(Strict):
    """Evaluation options."""

    split: Literal["train", "val", "test"] = "test"
    threshold: float = Field(0.5, gt=0, lt=1)
