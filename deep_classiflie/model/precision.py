"""Numeric precision of the CPU inference and attribution paths: when bf16 pays, and bf16 copies of encoders.

On CPUs with native bf16 matrix instructions (Intel AMX-BF16 / AVX512-BF16, used by oneDNN) a bf16 encoder
runs its forward pass about 3× and its forward + backward about 2.5–3× faster than fp32 (MiniLM, 2 cores).
Without them PyTorch emulates bf16 and it is slower than fp32, so ``auto`` means bf16 only where it is native.
The copies use the "eager" attention: PyTorch's fused CPU attention kernels are fast forward but their bf16
backward is 3–5× slower than the plain matmul + softmax, and integrated gradients needs the backward.
"""

from __future__ import annotations

import contextlib
import copy
from functools import cache
from typing import Any, Literal

import torch
from torch import nn

Precision = Literal["auto", "fp32", "bf16"]


@cache
def native_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (AMX tiles or AVX512-BF16)."""
    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    for name in probes:
        probe = getattr(torch.cpu, name, None)
        try:
            if probe is not None and bool(probe()):
                return True
        except RuntimeError:  # pragma: no cover - a torch build without cpuinfo
            continue
    return False


def resolve_precision(requested: str) -> Literal["fp32", "bf16"]:
    """``auto`` → ``bf16`` where the CPU has native bf16 kernels, else ``fp32``; other values as given."""
    if requested == "auto":
        return "bf16" if native_bf16() else "fp32"
    if requested not in ("fp32", "bf16"):
        raise ValueError(f"unknown precision {requested!r}")
    return "bf16" if requested == "bf16" else "fp32"


def torch_dtype(precision: str) -> torch.dtype:
    """The torch dtype of a resolved precision name."""
    return torch.bfloat16 if resolve_precision(precision) == "bf16" else torch.float32


def encoder_copy(encoder: nn.Module, dtype: torch.dtype, *, attention: str | None = "eager") -> nn.Module:
    """A frozen, eval-mode copy of ``encoder`` in ``dtype`` with the given attention implementation (``None``:
    the encoder's own; PyTorch's fused attention is the fastest for forward passes alone).

    The original keeps its weights, dtype and attention (the prediction path and other threads use it).
    """
    clone: Any = copy.deepcopy(encoder)
    clone.to(dtype)
    setter = getattr(clone, "set_attn_implementation", None)
    if setter is not None and attention is not None:
        # an encoder class without that implementation keeps its own
        with contextlib.suppress(ValueError, ImportError):
            setter(attention)
    for p in clone.parameters():
        p.requires_grad_(False)
    return clone.eval()
