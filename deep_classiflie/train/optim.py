"""Optimizer and LR schedule of one thaw phase: a param group per thawed phase, each at its own lr."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from deep_classiflie.train.schedule import ThawPhase


def build_optimizer(
    model: nn.Module,
    phases: list[ThawPhase],
    resolved: list[list[str]],
    phase: int,
    *,
    base_lr: float,
    weight_decay: float,
) -> torch.optim.AdamW:
    """AdamW over phases 0..``phase``: group *i* holds phase *i*'s parameters at ``phases[i].lr or base_lr``.

    Fused kernels on GPU; the plain loop elsewhere (fused AdamW needs CUDA tensors).
    """
    params = dict(model.named_parameters())
    groups = [
        {"params": [params[n] for n in resolved[i]], "lr": phases[i].lr or base_lr, "phase": i}
        for i in range(phase + 1)
        if resolved[i]
    ]
    on_gpu = next(model.parameters()).is_cuda
    return torch.optim.AdamW(groups, lr=base_lr, weight_decay=weight_decay, fused=on_gpu or None)


def phase_lr_lambda(*, warmup_steps: int, total_steps: int, floor: float = 0.1) -> Callable[[int], float]:
    """Multiplier of the lr at step *s* of a phase.

    1) linear warmup over ``warmup_steps``; 2) cosine decay to ``floor`` at ``total_steps``;
    3) ``floor`` afterwards (a phase may run longer than planned when it has no max_transition_epoch).
    """

    def fn(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        if step >= total_steps:
            return floor
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return fn


def build_scheduler(
    optimizer: torch.optim.Optimizer, *, warmup_steps: int, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """The LR scheduler bound to this phase's optimizer (re-built at every phase change)."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, phase_lr_lambda(warmup_steps=warmup_steps, total_steps=total_steps)
    )
