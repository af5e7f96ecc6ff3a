"""TensorBoard logs of a run: losses, lr per param group, validation metrics, memory."""

from __future__ import annotations

import logging
import resource
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger(__name__)


class TrainLogger:
    """A ``SummaryWriter`` on the main rank; silent elsewhere, and silent (one warning) without ``tensorboard``
    installed: a training machine that lacks it still trains, and the history stays in the checkpoints."""

    def __init__(self, folder: Path, *, enabled: bool = True) -> None:
        self.folder = folder
        self.enabled = enabled
        self._writer: Any = None

    def _w(self) -> Any:
        if self._writer is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as exc:  # torch's module imports the tensorboard package
                log.warning("no TensorBoard logs for this run (%s); `pip install tensorboard` to have them", exc)
                self.enabled = False
                return None
            self._writer = SummaryWriter(str(self.folder))
        return self._writer

    def step(self, step: int, loss: float, optimizer: torch.optim.Optimizer) -> None:
        """Train loss, lr of every param group, memory in MiB."""
        w = self._w() if self.enabled else None
        if w is None:
            return
        w.add_scalar("train/loss", loss, step)
        for i, group in enumerate(optimizer.param_groups):
            w.add_scalar(f"lr/group{group.get('phase', i)}", group["lr"], step)
        if torch.cuda.is_available():
            w.add_scalar("memory/cuda_max_allocated_mib", torch.cuda.max_memory_allocated() / 2**20, step)
        w.add_scalar("memory/max_rss_mib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, step)

    def epoch(self, epoch: int, record: dict[str, float]) -> None:
        """Validation metrics and the epoch's mean train loss."""
        w = self._w() if self.enabled else None
        if w is None:
            return
        for key, value in record.items():
            if key != "epoch":
                w.add_scalar(f"epoch/{key}", value, epoch)
        w.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
