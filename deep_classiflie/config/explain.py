"""Config of the explain stage: integrated-gradients attribution and interpretation cards."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from deep_classiflie.config.base import Strict


class ExplainConfig(Strict):
    """How a prediction is attributed to the statement's words and what its card shows.

    ``n_steps`` is the number of integration steps of integrated gradients (the original used 500). With
    ``adaptive`` on (``auto``: when the path integral runs in bf16, where extra passes are cheap; on fp32-only
    CPUs the redone statements cost more than the early stops save), every statement is first attributed with ``min_steps``; one whose convergence delta is over
    ``delta_tolerance × max(|f(x) - f(baseline)|, 1)`` is redone with ``n_steps``, then twice that, and so on up to
    ``max_steps``, keeping its best pass: steps go where the integral needs them. ``precision``:
    where the path integral runs (``auto``: bf16 on CPUs with native bf16 matrix kernels, else fp32); the
    endpoints f(x) and f(baseline), and so the reported delta, always come from the fp32 model.
    """

    n_steps: int = Field(default=50, ge=2, le=5000)
    adaptive: bool | Literal["auto"] = "auto"
    min_steps: int = Field(default=25, ge=2)
    max_steps: int = Field(default=200, ge=2, le=20000)
    delta_tolerance: float = Field(default=0.02, gt=0)
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    # Interpolation points per forward pass (captum's ``internal_batch_size``); None = all steps of a batch at once.
    internal_batch_size: int | None = Field(default=None, ge=1)
    # Statements attributed together in one batched pass (padded to the longest of the batch); a batch closes
    # early when padding would exceed ``max_padding`` of its tokens. 4 is near the best on both CPUs measured
    # (bf16/AMX: 0.193 s vs 0.185 s at 16; fp32/AVX2: 16 ran at 0.65x the plain call, see docs/explain.md).
    batch_size: int = Field(default=4, ge=1)
    max_padding: float = Field(default=0.3, ge=0)
    method: Literal["riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle", "gausslegendre"] = (
        "gausslegendre"
    )
    baseline: Literal["pad", "zeros", "mask"] = "pad"
    normalisation: Literal["l1", "max_abs"] = "max_abs"
    n_similar: int = Field(default=5, ge=0, le=50)
    # Which evaluated split's buckets and metrics the card quotes.
    metrics_split: Literal["train", "val", "test"] = "test"
    formats: list[Literal["png", "html", "json"]] = ["png", "html", "json"]
    png_width_px: int = Field(default=1200, ge=600, le=4000)
    out_dir: str | None = None  # default: <paths.data_dir>/cards
