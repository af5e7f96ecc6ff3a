"""``train`` (head on cached features; ``--full``: thaw-schedule fine-tuning) and ``schedule write``."""

from __future__ import annotations

import argparse
from pathlib import Path

from deep_classiflie.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``train`` and the ``schedule`` group."""
    train = sub.add_parser("train", help="train on the newest dataset collection and register the model version")
    train.add_argument("--full", action="store_true", help="fine-tune encoder + head with the thaw schedule (GPU)")
    train.add_argument(
        "--collection", type=int, help="dataset collection id (default: the newest of the config's name)"
    )
    train.add_argument("--resume", type=Path, help="with --full: resume exactly from a checkpoint folder")
    train.add_argument("--no-register", action="store_true", help="save the model folder only")
    train.set_defaults(func=train_command)
    sched = sub.add_parser("schedule", help="thaw schedules for fine-tuning")
    sched_sub = sched.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    write = sched_sub.add_parser("write", help="write the default 4-phase thaw schedule YAML for an encoder")
    write.add_argument("--encoder", type=Path, help="local HF encoder folder (default: the config's encoder)")
    write.add_argument("--out", type=Path, help="YAML file to write (default: print)")
    write.add_argument("--epochs-per-phase", type=int, default=3, help="max_transition_epoch step per phase")
    write.set_defaults(func=schedule_write)


def train_command(ctx: Context, args: argparse.Namespace) -> int:
    from deep_classiflie.dataset import find_collection, load_splits
    from deep_classiflie.train.api import train_model
    from deep_classiflie.train.distributed import shutdown_distributed

    _check_flags(args)
    config = ctx.config
    info = find_collection(ctx.engine, config.dataset.name, args.collection, data_dir=config.paths.data_dir)
    splits = load_splits(info.snapshot_dir)
    finished = False
    try:
        model = train_model(
            None if args.no_register else ctx.engine,
            config,
            splits,
            collection_id=info.id,
            out_dir=config.paths.runs_dir / "models",
            full=args.full,
            resume_from=args.resume,
        )
        finished = True
    finally:
        shutdown_distributed(wait=finished)  # torchrun: every rank leaves the group before it exits
    metrics = " ".join(f"{k}={v:.4f}" for k, v in sorted(model.val_metrics.items()))
    print(f"model version {model.model_version_id} ({model.kind}) saved to {model.folder}")
    print(f"validation: {metrics}")
    return 0


def _check_flags(args: argparse.Namespace) -> None:
    """Refuse flags that would be ignored (before anything is trained or registered)."""
    from deep_classiflie.core.errors import ConfigError

    if args.resume is not None and not args.full:
        raise ConfigError(
            "--resume applies to full fine-tuning only", hint="add --full, or leave out --resume to train a head"
        )
    if args.resume is not None and not args.resume.is_dir():
        raise ConfigError(
            f"checkpoint folder {args.resume} does not exist", hint="give the folder a `train --full` run saved"
        )


def schedule_write(ctx: Context, args: argparse.Namespace) -> int:
    from transformers import AutoConfig

    from deep_classiflie.model.classifier import build_model
    from deep_classiflie.model.encoder import resolve_encoder_path
    from deep_classiflie.model.head import HeadConfig
    from deep_classiflie.train.schedule import default_schedule, schedule_to_yaml

    folder = resolve_encoder_path(args.encoder or ctx.config.encoder.path)
    hidden = int(AutoConfig.from_pretrained(str(folder), local_files_only=True).hidden_size)
    model, _ = build_model(folder, HeadConfig(input_dim=hidden))
    names = [n for n, _ in model.named_parameters()]
    phases = default_schedule(names, base_lr=ctx.config.train.finetune.base_lr, epochs_per_phase=args.epochs_per_phase)
    text = f"# Default thaw schedule for {folder} (finetuning-scheduler explicit format)\n" + schedule_to_yaml(phases)
    if args.out is None:
        print(text, end="")
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {len(phases)} phases to {args.out}")
    return 0
