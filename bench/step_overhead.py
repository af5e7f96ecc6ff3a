"""Per-step overhead on CPU: Lightning + finetuning-scheduler vs our plain loop, same model, same data.

Both train the tiny random BERT + head under the same 2-phase thaw schedule (explicit format, given to
FinetuningScheduler as a dict and to our loop as parsed phases), batch 8, fp32, one thread. The model is
small on purpose: what is left besides the forward/backward is the framework's per-step cost.

    .venv/bin/python bench/step_overhead.py [--steps 60] [--rounds 3]

Prints ``RESULT plain_ms_per_step=… lightning_fts_ms_per_step=… compute_ms_per_step=… overhead_ratio=…`` last.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from deep_classiflie.dataset.types import DatasetSplit
from deep_classiflie.model.classifier import FactClassifier, build_model
from deep_classiflie.model.head import HeadConfig, classification_loss
from deep_classiflie.model.tiny import make_tiny_encoder
from deep_classiflie.train.batches import encode_split, iter_batches
from deep_classiflie.train.finetune import train_step

SCHEDULE = {
    0: {"params": ["model\\.head\\..*"], "max_transition_epoch": 1},
    1: {"params": ["model\\.encoder\\..*"], "lr": 1e-4},
}


def _split(n: int) -> DatasetSplit:
    rng = np.random.default_rng(0)
    words = ["the", "tax", "jobs", "wall", "border", "media", "fake", "news", "great", "people"]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(4, 12)))) for _ in range(n)]
    labels = rng.integers(0, 2, size=n)
    ones = np.ones(n)
    return DatasetSplit(
        "train", np.arange(n), texts, labels, labels * 0, ones.astype(np.float32), ones.astype("datetime64[s]")
    )


def _batches(tok, n: int) -> list[dict[str, torch.Tensor]]:  # type: ignore[no-untyped-def]
    data = encode_split(_split(n * 8), tok, max_length=64)
    return list(iter_batches(data, batch_size=8, seed=0, epoch=0, shuffle=True))


def _halves(batches):  # type: ignore[no-untyped-def]
    half = len(batches) // 2
    return [batches[:half], batches[half : 2 * half]]


def _thaw(model: FactClassifier, phase: int) -> None:
    """Phase 0: the head only (as FinetuningScheduler's phase 0 below); phase 1: everything."""
    for name, p in model.named_parameters():
        p.requires_grad_(phase == 1 or name.startswith("head."))


def time_compute(model: FactClassifier, batches) -> float:  # type: ignore[no-untyped-def]
    """Bare forward + backward + AdamW step, no loop machinery at all (ms/step)."""
    total = 0.0
    model.train()
    for phase, part in enumerate(_halves(batches)):
        _thaw(model, phase)
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        start = time.perf_counter()
        for b in part:
            logits = model(b["input_ids"], b["attention_mask"], b["type_ids"])
            loss = classification_loss(logits, b["labels"], num_classes=2, label_smoothing=0.17)
            opt.zero_grad()
            loss.backward()
            opt.step()
        total += time.perf_counter() - start
    return total * 1000 / len(batches)


def time_plain(model: FactClassifier, batches) -> float:  # type: ignore[no-untyped-def]
    """Our loop's step: train_step (weighted loss, clipping, autocast switch) + LR scheduler step (ms/step)."""
    total = 0.0
    model.train()
    for phase, part in enumerate(_halves(batches)):
        _thaw(model, phase)
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
        start = time.perf_counter()
        for b in part:
            train_step(model, b, opt, num_classes=2, label_smoothing=0.17, grad_clip=1.0, autocast=False)
            sched.step()
        total += time.perf_counter() - start
    return total * 1000 / len(batches)


def time_lightning(model: FactClassifier, batches, workdir: Path) -> float:  # type: ignore[no-untyped-def]
    """Lightning Trainer + FinetuningScheduler (explicit schedule, FTS checkpoint + early stopping) (ms/step)."""
    import lightning.pytorch as pl
    from finetuning_scheduler import FinetuningScheduler, FTSCheckpoint, FTSEarlyStopping

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def training_step(self, b, _):  # type: ignore[no-untyped-def]
            logits = self.model(b["input_ids"], b["attention_mask"], b["type_ids"])
            return classification_loss(logits, b["labels"], num_classes=2, label_smoothing=0.17, weights=b["weights"])

        def validation_step(self, b, _):  # type: ignore[no-untyped-def]
            self.log("val_loss", self.training_step(b, 0))

        def configure_optimizers(self):  # type: ignore[no-untyped-def]
            opt = torch.optim.AdamW([p for p in self.parameters() if p.requires_grad], lr=1e-3)
            return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)}

    epochs = 2
    per_epoch = len(batches) // epochs
    timer: dict[str, float] = {}

    class Clock(pl.Callback):
        """Sums, per epoch, first batch start → last batch end: every per-step cost, no validation/checkpointing."""

        def on_train_batch_start(self, trainer, module, batch, idx):  # type: ignore[no-untyped-def]
            if idx == 0:
                timer["start"] = time.perf_counter()

        def on_train_batch_end(self, trainer, module, out, batch, idx):  # type: ignore[no-untyped-def]
            if idx == per_epoch - 1:
                timer["total"] = timer.get("total", 0.0) + time.perf_counter() - timer["start"]

    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=epochs,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=1,
        gradient_clip_val=1.0,
        default_root_dir=str(workdir),
        callbacks=[
            FinetuningScheduler(ft_schedule=SCHEDULE, logging_level=logging.ERROR),
            FTSCheckpoint(monitor="val_loss", dirpath=str(workdir)),
            FTSEarlyStopping(monitor="val_loss", patience=5),
            Clock(),
        ],
    )
    from torch.utils.data import DataLoader

    def loader(items):  # type: ignore[no-untyped-def]
        return DataLoader(items, batch_size=None, shuffle=False)

    trainer.fit(Module(), train_dataloaders=loader(batches[:per_epoch]), val_dataloaders=loader(batches[:1]))
    return timer["total"] * 1000 / (per_epoch * epochs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    logging.getLogger("lightning").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        enc = make_tiny_encoder(Path(tmp) / "enc")
        runs: dict[str, list[float]] = {"compute": [], "plain": [], "lightning_fts": []}
        for name in [n for _ in range(args.rounds) for n in runs]:  # interleaved rounds; the min per variant
            torch.manual_seed(0)
            model, tok = build_model(enc, HeadConfig(input_dim=32, hidden_dim=16))
            batches = _batches(tok, args.steps)
            if name == "compute":
                runs[name].append(time_compute(model, batches))
            elif name == "plain":
                runs[name].append(time_plain(model, batches))
            else:
                runs[name].append(time_lightning(model, batches, Path(tmp) / f"pl{len(runs[name])}"))
            print(f"{name}: {runs[name][-1]:.2f} ms/step", flush=True)
    plain, compute, light = min(runs["plain"]), min(runs["compute"]), min(runs["lightning_fts"])
    print(
        f"RESULT plain_ms_per_step={plain:.2f} lightning_fts_ms_per_step={light:.2f} compute_ms_per_step={compute:.2f} "
        f"plain_overhead_ms={plain - compute:.2f} lightning_overhead_ms={light - compute:.2f} overhead_ratio={(light - compute) / max(plain - compute, 1e-3):.1f}"
    )


if __name__ == "__main__":
    main()
