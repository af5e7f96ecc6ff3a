"""Checkpoints without pickles: tensors in safetensors files, scalars in JSON.

A checkpoint folder holds ``model.safetensors`` (the full ``FactClassifier`` state), ``optimizer.safetensors``
(each per-parameter state tensor as ``state.<index>.<key>``), ``rng.safetensors`` (torch RNG states) and
``state.json`` (trainer state, optimizer param groups, LR-scheduler state). That is everything an exact
resume needs. ``TopK`` keeps the best *k* checkpoints by the monitored metric plus the last one.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from deep_classiflie.core.errors import ModelError
from deep_classiflie.train.metrics import HIGHER_IS_BETTER


def _tensors_for_file(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # Contiguous copies on CPU: safetensors refuses shared storage (tied weights) and device tensors.
    return {k: v.detach().cpu().contiguous().clone() for k, v in state.items()}


def optimizer_to_files(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer state dict into tensors (``state.<i>.<key>``) and JSON-able scalars."""
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, pstate in sd["state"].items():
        for key, value in pstate.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{idx}.{key}"] = value
            else:
                scalars.setdefault(str(idx), {})[key] = value
    return _tensors_for_file(tensors), {"param_groups": sd["param_groups"], "scalars": scalars}


def optimizer_from_files(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Inverse of ``optimizer_to_files``: load the state back into ``opt``."""
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        _, idx, key = name.split(".", 2)
        state.setdefault(int(idx), {})[key] = value
    for idx, extra in meta.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(extra)
    groups = meta["param_groups"]
    for group in groups:
        if isinstance(group.get("betas"), list):
            group["betas"] = tuple(group["betas"])
    opt.load_state_dict({"state": state, "param_groups": groups})


def save_checkpoint(
    folder: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    trainer_state: dict[str, Any],
) -> Path:
    """Write a checkpoint folder (atomically: written next to it, then renamed)."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(_tensors_for_file(model.state_dict()), str(tmp / "model.safetensors"), metadata={"format": "pt"})
    opt_tensors, opt_meta = optimizer_to_files(optimizer)
    save_file(opt_tensors, str(tmp / "optimizer.safetensors"))
    rng = {"torch_cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng.update({f"torch_cuda_{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    save_file(rng, str(tmp / "rng.safetensors"))
    sched = {k: v for k, v in scheduler.state_dict().items() if k != "lr_lambdas"}
    payload = {"trainer": trainer_state, "optimizer": opt_meta, "scheduler": sched}
    (tmp / "state.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def load_model_weights(folder: Path, model: nn.Module) -> None:
    """Load only the model weights of a checkpoint (used when restoring the best one)."""
    path = Path(folder) / "model.safetensors"
    if not path.is_file():
        raise ModelError(f"checkpoint {folder} has no model.safetensors", hint="resume from a complete checkpoint")
    model.load_state_dict(load_file(str(path)))


def load_checkpoint(
    folder: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
) -> dict[str, Any]:
    """Restore model, optimizer, scheduler and RNG; returns the trainer state."""
    folder = Path(folder)
    if not (folder / "state.json").is_file():
        raise ModelError(f"{folder} is not a checkpoint (no state.json)", hint="pass a folder under <run>/checkpoints/")
    payload = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    load_model_weights(folder, model)
    optimizer_from_files(optimizer, load_file(str(folder / "optimizer.safetensors")), payload["optimizer"])
    scheduler.load_state_dict({**scheduler.state_dict(), **payload["scheduler"]})
    rng = load_file(str(folder / "rng.safetensors"))
    torch.set_rng_state(rng["torch_cpu"])
    cuda = [rng[k] for k in sorted(rng) if k.startswith("torch_cuda_")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    return dict(payload["trainer"])


def read_trainer_state(folder: Path) -> dict[str, Any]:
    """The trainer state of a checkpoint, without loading any tensors."""
    return dict(json.loads((Path(folder) / "state.json").read_text(encoding="utf-8"))["trainer"])


@dataclass
class TopK:
    """The best ``k`` checkpoints by ``metric`` (entries: ``[value, epoch, path]``), best first."""

    metric: str
    k: int
    entries: list[list[Any]] = field(default_factory=list)

    def _key(self, entry: list[Any]) -> tuple[float, int]:
        value = float(entry[0])
        return (-value if HIGHER_IS_BETTER[self.metric] else value, int(entry[1]))

    def would_keep(self, value: float) -> bool:
        """Whether a checkpoint with ``value`` enters the top k."""
        if len(self.entries) < self.k:
            return True
        return self._key([value, 1 << 30, ""]) < self._key(self.entries[-1])

    def add(self, value: float, epoch: int, path: Path) -> list[Path]:
        """Record a saved checkpoint; returns the folders that fell out (to delete)."""
        self.entries.append([value, epoch, str(path)])
        self.entries.sort(key=self._key)
        dropped = [Path(e[2]) for e in self.entries[self.k :]]
        self.entries = self.entries[: self.k]
        return dropped

    @property
    def best(self) -> Path | None:
        return Path(self.entries[0][2]) if self.entries else None

    def paths(self) -> list[Path]:
        return [Path(e[2]) for e in self.entries]
