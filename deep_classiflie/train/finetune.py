"""Fine-tune encoder + head phase by phase following a thaw schedule (a plain loop, same YAML semantics as
finetuning-scheduler; see docs/training.md for why not Lightning).

At each phase change: restore the best checkpoint so far, thaw the next phase, build a new optimizer
(one param group per thawed phase, at its own lr) and re-bind the LR scheduler to it. Early stopping on
the monitored metric ends a phase (or, in the last phase, the run). Checkpoints are safetensors + JSON
and carry everything needed for an exact resume. With ``finetune.swa`` the top-k (or last-n) checkpoints
are averaged and those weights are the result.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from deep_classiflie.config.train import FinetuneConfig
from deep_classiflie.core.progress import progress
from deep_classiflie.model.head import classification_loss, probabilities
from deep_classiflie.train import checkpoint as ckpt
from deep_classiflie.train.batches import EncodedSplit, iter_batches, num_batches
from deep_classiflie.train.distributed import DistInfo, unwrap, wrap_ddp
from deep_classiflie.train.metrics import classification_metrics, is_improvement
from deep_classiflie.train.optim import build_optimizer, build_scheduler
from deep_classiflie.train.schedule import ThawPhase, apply_phase
from deep_classiflie.train.swa import average_checkpoints
from deep_classiflie.train.tb import TrainLogger

log = logging.getLogger(__name__)


@dataclass
class FitState:
    """The loop's JSON-able state, saved in every checkpoint."""

    epoch: int = 0  # next epoch to run
    step: int = 0
    phase: int = 0
    phase_start_epoch: int = 0
    phase_start_step: int = 0
    best: float | None = None
    stale: int = 0
    advance_pending: bool = False
    done: bool = False
    history: list[dict[str, float]] = field(default_factory=list)
    topk: list[list[Any]] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FitResult:
    """The trained model (best or SWA-averaged weights loaded) and its record."""

    model: nn.Module
    state: FitState
    val_metrics: dict[str, float]
    checkpoints: list[Path]


def train_step(
    model: nn.Module,
    batch: dict[str, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    *,
    num_classes: int,
    label_smoothing: float,
    grad_clip: float,
    autocast: bool,
) -> torch.Tensor:
    """One optimisation step: forward (bf16 autocast on GPU), weighted loss, backward, clip, step.

    Returns the detached loss tensor: reading it (``float``) would wait for the GPU on every step.
    """
    device = next(model.parameters()).device
    batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
    ctx = torch.autocast(device.type, dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
    with ctx:
        logits = model(batch["input_ids"], batch["attention_mask"], batch["type_ids"])
    loss = classification_loss(
        logits, batch["labels"], num_classes=num_classes, label_smoothing=label_smoothing, weights=batch["weights"]
    )
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], grad_clip)
    optimizer.step()
    return loss.detach()


@torch.no_grad()
def evaluate(
    model: nn.Module, data: EncodedSplit, *, num_classes: int, label_smoothing: float, batch_size: int
) -> dict[str, float]:
    """Validation loss (unweighted) and metrics over the whole split (every rank computes the same)."""
    model.eval()
    device = next(model.parameters()).device
    logits, labels = [], []
    for batch in iter_batches(data, batch_size=batch_size, seed=0, epoch=0, shuffle=False):
        batch = {k: v.to(device) for k, v in batch.items()}
        logits.append(model(batch["input_ids"], batch["attention_mask"], batch["type_ids"]).float())
        labels.append(batch["labels"])
    all_logits, all_labels = torch.cat(logits), torch.cat(labels)
    loss = classification_loss(all_logits, all_labels, num_classes=num_classes, label_smoothing=label_smoothing)
    probs = probabilities(all_logits, num_classes).cpu().numpy()
    return {"val_loss": float(loss), **classification_metrics(probs, all_labels.cpu().numpy())}


def _phase_steps(phases: list[ThawPhase], state: FitState, cfg: FinetuneConfig, steps_per_epoch: int) -> int:
    end = phases[state.phase].max_transition_epoch or cfg.max_epochs
    return max(1, (min(end, cfg.max_epochs) - state.phase_start_epoch) * steps_per_epoch)


def fit(
    model: nn.Module,
    train: EncodedSplit,
    val: EncodedSplit,
    *,
    phases: list[ThawPhase],
    resolved: list[list[str]],
    cfg: FinetuneConfig,
    num_classes: int,
    label_smoothing: float,
    weight_decay: float,
    seed: int,
    out_dir: Path,
    resume_from: Path | None = None,
    dist: DistInfo | None = None,
    stop_after: int | None = None,
) -> FitResult:
    """Run (or resume) the phased fine-tuning; see the module docstring.

    Each epoch: 1) perform a pending phase change; 2) train over the seeded shuffle; 3) validate;
    4) decide: stay, advance the phase, or stop; 5) checkpoint (top-k + last). After the loop:
    6) SWA over the kept checkpoints, or restore the best one.

    ``stop_after`` ends this process after that many epochs as if interrupted (time-boxed jobs, resume
    tests): the checkpoints are written, nothing is averaged, and ``resume_from=<out_dir>/checkpoints/last``
    carries on to exactly the weights of an uninterrupted run.
    """
    dist = dist or DistInfo()
    torch.manual_seed(seed)
    ckpt_dir = out_dir / "checkpoints"
    steps_per_epoch = num_batches(len(train), cfg.batch_size)
    autocast = cfg.precision == "bf16" or (cfg.precision == "auto" and next(model.parameters()).is_cuda)
    state = FitState()
    if resume_from is not None:
        state = FitState(**ckpt.read_trainer_state(resume_from))
    apply_phase(model, resolved, state.phase)
    opt = build_optimizer(model, phases, resolved, state.phase, base_lr=cfg.base_lr, weight_decay=weight_decay)
    sched = build_scheduler(
        opt, warmup_steps=cfg.warmup_steps, total_steps=_phase_steps(phases, state, cfg, steps_per_epoch)
    )
    if resume_from is not None:
        ckpt.load_checkpoint(resume_from, model, opt, sched)
    topk = ckpt.TopK(cfg.monitor, cfg.top_k, state.topk)
    ddp = wrap_ddp(model, dist)
    logger = TrainLogger(out_dir / "tb", enabled=dist.is_main)
    epochs_here = 0
    while not state.done:
        if stop_after is not None and epochs_here >= stop_after:
            logger.close()
            return FitResult(model=model, state=state, val_metrics={}, checkpoints=[])
        epochs_here += 1
        # 1) phase change: restore the best weights, thaw the next phase, new optimizer + scheduler
        if state.advance_pending:
            if topk.best is not None:
                ckpt.load_model_weights(topk.best, model)
            state.phase += 1
            state.phase_start_epoch, state.phase_start_step = state.epoch, state.step
            state.stale, state.advance_pending = 0, False
            trainable = apply_phase(model, resolved, state.phase)
            opt = build_optimizer(model, phases, resolved, state.phase, base_lr=cfg.base_lr, weight_decay=weight_decay)
            sched = build_scheduler(
                opt, warmup_steps=cfg.warmup_steps, total_steps=_phase_steps(phases, state, cfg, steps_per_epoch)
            )
            ddp = wrap_ddp(model, dist)  # the set of trainable parameters changed
            state.transitions.append({"epoch": state.epoch, "phase": state.phase, "trainable": len(trainable)})
            log.info("epoch %d: phase %d, %d trainable tensors", state.epoch, state.phase, len(trainable))
        # 2) train one epoch
        ddp.train()
        losses: list[torch.Tensor] = []
        with progress(
            total=steps_per_epoch,
            description=f"epoch {state.epoch} phase {state.phase}",
            enabled=None if dist.is_main else False,
        ) as bar:
            for batch in iter_batches(
                train,
                batch_size=cfg.batch_size,
                seed=seed,
                epoch=state.epoch,
                shuffle=True,
                rank=dist.rank,
                world=dist.world,
            ):
                loss = train_step(
                    ddp,
                    batch,
                    opt,
                    num_classes=num_classes,
                    label_smoothing=label_smoothing,
                    grad_clip=cfg.grad_clip,
                    autocast=autocast,
                )
                sched.step()
                state.step += 1
                losses.append(loss)
                if state.step % cfg.log_every == 0:
                    logger.step(state.step, float(loss), opt)
                bar.advance()
                if cfg.max_steps is not None and state.step >= cfg.max_steps:
                    break
        # 3) validate
        metrics = evaluate(
            model, val, num_classes=num_classes, label_smoothing=label_smoothing, batch_size=cfg.batch_size * 2
        )
        record = {
            "epoch": state.epoch,
            "phase": state.phase,
            "train_loss": float(torch.stack(losses).mean()) if losses else float("nan"),
            **metrics,
        }
        state.history.append(record)
        logger.epoch(state.epoch, record)
        value = metrics[cfg.monitor]
        if is_improvement(cfg.monitor, value, state.best):
            state.best, state.stale = value, 0
        else:
            state.stale += 1
        # 4) decide what the next epoch does (recorded before saving, so a resume replays it)
        last_phase = state.phase == len(phases) - 1
        bound = phases[state.phase].max_transition_epoch
        phase_over = state.stale >= cfg.patience or (bound is not None and state.epoch + 1 >= bound)
        state.epoch += 1
        if state.epoch >= cfg.max_epochs or (cfg.max_steps is not None and state.step >= cfg.max_steps):
            state.done = True
        elif phase_over:
            state.done, state.advance_pending = last_phase, not last_phase
        # 5) checkpoint: top-k by the monitored metric, plus the last (for resume). Every rank keeps the
        #    same top-k book (all see the same metrics); only the main rank writes files.
        if topk.would_keep(value):
            folder = ckpt_dir / f"epoch={state.epoch - 1:03d}"
            if dist.is_main:
                ckpt.save_checkpoint(folder, model, opt, sched, asdict(state))
            for gone in topk.add(value, state.epoch - 1, folder):
                if dist.is_main:
                    shutil.rmtree(gone, ignore_errors=True)
        state.topk = topk.entries
        if dist.is_main:
            ckpt.save_checkpoint(ckpt_dir / "last", model, opt, sched, asdict(state))
            if cfg.swa == "last_n":
                ckpt.save_checkpoint(
                    ckpt_dir / f"recent-{(state.epoch - 1) % cfg.swa_n}", model, opt, sched, asdict(state)
                )
        dist.barrier()
    logger.close()
    # 6) the result: SWA over the kept checkpoints, or the best one
    if cfg.swa == "top_k":
        used = topk.paths()[: cfg.swa_n]
    elif cfg.swa == "last_n":
        used = sorted(ckpt_dir.glob("recent-*"))
    else:
        used = topk.paths()[:1]
    if len(used) > 1:
        average_checkpoints(model, used)
    else:
        ckpt.load_model_weights(used[0], model)
    final = evaluate(
        model, val, num_classes=num_classes, label_smoothing=label_smoothing, batch_size=cfg.batch_size * 2
    )
    return FitResult(model=unwrap(model), state=state, val_metrics=final, checkpoints=used)
