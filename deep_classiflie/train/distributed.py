"""Data-parallel training through ``torch.distributed`` (NCCL on GPUs, gloo on CPUs).

Each rank takes its share of every global batch (``batches.iter_batches``); DDP averages the gradients,
so a step equals a single-process step on the combined batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as tdist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class DistInfo:
    """Rank and world size of this process (1 process: rank 0 of 1)."""

    rank: int = 0
    world: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        """Wait for every rank (no-op in a single process)."""
        if self.world > 1:
            tdist.barrier()


def init_distributed(backend: str | None = None) -> DistInfo:
    """Join the process group described by the usual env vars (``torchrun``), if any."""
    if "WORLD_SIZE" not in os.environ or int(os.environ["WORLD_SIZE"]) <= 1:
        return DistInfo()
    if not tdist.is_initialized():
        tdist.init_process_group(backend or ("nccl" if torch.cuda.is_available() else "gloo"))
    return DistInfo(rank=tdist.get_rank(), world=tdist.get_world_size())


def shutdown_distributed(*, wait: bool = True) -> None:
    """Leave the process group, if one was joined: wait for every rank (``wait``), then destroy it.

    A gloo group left for the interpreter's exit can abort the process (its worker threads still hold work
    objects); the barrier keeps one rank from tearing its pairs down while another still talks on them. After a
    failure ``wait=False`` destroys without waiting (the other ranks may be gone).
    """
    if not (tdist.is_available() and tdist.is_initialized()):
        return
    if wait:
        tdist.barrier()
    tdist.destroy_process_group()


def wrap_ddp(model: nn.Module, dist: DistInfo) -> nn.Module:
    """``model`` wrapped in DDP when there are several ranks (re-wrap after every thaw)."""
    if dist.world <= 1:
        return model
    # Unused parameters exist: a thawed pooler is not used by mean pooling.
    return DistributedDataParallel(model, find_unused_parameters=True)


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DDP wrapper."""
    return model.module if isinstance(model, DistributedDataParallel) else model
