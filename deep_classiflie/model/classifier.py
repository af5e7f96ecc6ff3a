"""Encoder + head as one model, its HF-style folder on disk, and a loaded classifier ready to predict.

A model folder holds: the encoder's ``config.json`` and tokenizer files, ``model.safetensors`` (encoder
weights under their HF names plus the head under ``dc_head.``), ``head_config.json``, the resolved training
config (``train_config.json``) and the dataset it was trained on (``dataset.json``); a hybrid head's
featurizer (``extra_features.json`` + ``.safetensors``: TF-IDF vocabulary, idf, metadata columns) and the
per-type decision thresholds (``thresholds.json``) when it has them. Weights are only ever read with
safetensors, never unpickled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from deep_classiflie.core.errors import ModelError
from deep_classiflie.model.encoder import pooled_output, resolve_encoder_path
from deep_classiflie.model.head import ClassifierHead, HeadConfig, probabilities
from deep_classiflie.model.sparse import ExtraFeatures

WEIGHTS_FILE = "model.safetensors"
HEAD_PREFIX = "dc_head."


class FactClassifier(nn.Module):
    """An HF encoder and the classification head. Parameter names: ``encoder.*`` and ``head.*``."""

    def __init__(self, encoder: nn.Module, head: ClassifierHead) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head

    def input_embeddings(self) -> nn.Module:
        """The token embedding layer (integrated-gradients attribution works on its output)."""
        return self.encoder.get_input_embeddings()  # type: ignore[operator]

    def pooled(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor,
        *,
        inputs_embeds: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The encoder's pooled statement vector ``[batch, hidden]``."""
        outputs = self.encoder(input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds)
        return pooled_output(outputs, attention_mask, self.head.cfg.pooling)

    def features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, type_ids: torch.Tensor) -> torch.Tensor:
        """The pre-classifier vector (for similar-statement search)."""
        return self.head.features(self.pooled(input_ids, attention_mask), type_ids)

    def forward(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor,
        type_ids: torch.Tensor,
        inputs_embeds: torch.Tensor | None = None,
        extra: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits from token ids (or from ``inputs_embeds``, for attribution).

        ``extra`` is the ``[batch, n_extra]`` float block of non-text features (sparse TF-IDF, metadata one-hots)
        that :meth:`Classifier.extra_features` computes for heads that read them; ``None`` for heads that do not.
        """
        pooled = self.pooled(input_ids, attention_mask, inputs_embeds=inputs_embeds)
        if extra is None:
            return self.head(pooled, type_ids)
        return self.head(pooled, type_ids, extra=extra)


def build_model(encoder_path: Path | None, head_cfg: HeadConfig) -> tuple[FactClassifier, Any]:
    """Encoder (pretrained weights from a local folder) + a freshly initialised head, and the tokenizer."""
    from deep_classiflie.model.encoder import load_encoder

    enc = load_encoder(encoder_path)
    return FactClassifier(enc.model, ClassifierHead(head_cfg)), enc.tokenizer


def split_state(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """A ``FactClassifier`` state dict → (encoder state, head state), both without their prefix."""
    enc = {k.removeprefix("encoder."): v for k, v in state.items() if k.startswith("encoder.")}
    head = {k.removeprefix("head."): v for k, v in state.items() if k.startswith("head.")}
    return enc, head


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file (the registered weights hash)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_model_folder(
    folder: Path,
    model: FactClassifier,
    tokenizer: Any,
    *,
    train_config: dict[str, Any],
    dataset: dict[str, Any],
    extra: dict[str, Any] | None = None,
    featurizer: ExtraFeatures | None = None,
) -> str:
    """Write the HF-style model folder; returns the sha256 of ``model.safetensors``."""
    folder.mkdir(parents=True, exist_ok=True)
    if featurizer is not None:
        featurizer.save(folder)
    model.encoder.config.save_pretrained(str(folder))  # type: ignore[operator,union-attr]
    tokenizer.save_pretrained(str(folder))
    model.head.cfg.save(folder)
    enc_state, head_state = split_state(model.state_dict())
    # Contiguous copies: safetensors refuses tensors that share storage (tied weights).
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in enc_state.items()}
    tensors.update({HEAD_PREFIX + k: v.detach().cpu().contiguous().clone() for k, v in head_state.items()})
    save_file(tensors, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
    (folder / "train_config.json").write_text(json.dumps(train_config, indent=2, default=str) + "\n", encoding="utf-8")
    (folder / "dataset.json").write_text(json.dumps(dataset, indent=2, default=str) + "\n", encoding="utf-8")
    if extra:
        (folder / "training.json").write_text(json.dumps(extra, indent=2, default=str) + "\n", encoding="utf-8")
    return sha256_file(folder / WEIGHTS_FILE)


def load_model_folder(folder: Path) -> tuple[FactClassifier, Any, HeadConfig]:
    """Rebuild the model from a folder written by ``save_model_folder`` (safetensors only)."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    folder = resolve_encoder_path(folder)
    head_cfg = HeadConfig.load(folder)
    if not (folder / WEIGHTS_FILE).is_file():
        raise ModelError(f"{folder} has no {WEIGHTS_FILE}", hint="the model folder is incomplete; re-train")
    tensors = load_file(str(folder / WEIGHTS_FILE))
    head_state = {k.removeprefix(HEAD_PREFIX): v for k, v in tensors.items() if k.startswith(HEAD_PREFIX)}
    enc_state = {k: v for k, v in tensors.items() if not k.startswith(HEAD_PREFIX)}
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        encoder = AutoModel.from_config(AutoConfig.from_pretrained(str(folder), local_files_only=True))
        missing, unexpected = encoder.load_state_dict(enc_state, strict=False)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the model folder {folder}: {exc}", hint="check the folder's files") from exc
    if unexpected or [m for m in missing if not m.endswith("position_ids")]:
        raise ModelError(
            f"{folder / WEIGHTS_FILE} does not fit its config.json: missing {missing[:5]}, unexpected {unexpected[:5]}",
            hint="the folder mixes files from different models; re-train",
        )
    head = ClassifierHead(head_cfg)
    head.load_state_dict(head_state)
    model = FactClassifier(encoder, head)
    model.eval()
    return model, tokenizer, head_cfg


@dataclass
class Classifier:
    """A loaded model ready to predict raw text end to end (tokenise → encoder → head)."""

    model: FactClassifier
    tokenizer: Any
    head_config: HeadConfig
    folder: Path
    encoder_path: Path
    batch_size: int = 64

    # Decision threshold per statement type (``"tweet"``, ``"non_tweet"``, …) chosen on validation and stored with
    # the model (``thresholds.json``); types not in it use ``default_threshold``.
    thresholds: dict[str, float] = field(default_factory=dict)
    default_threshold: float = 0.5
    # Types whose cut is the all-rows cut for too few validation rows, with the reason (``uses_all`` of the file).
    thresholds_from_all_rows: dict[str, str] = field(default_factory=dict)
    # The non-text block of a hybrid head (``None`` for heads that read the pooled vector only).
    featurizer: ExtraFeatures | None = None

    @property
    def num_classes(self) -> int:
        return self.head_config.num_classes

    def threshold_for(self, statement_type: str) -> float:
        """The stored decision threshold for a statement type (its own, else its tweet/non-tweet group's)."""
        if statement_type in self.thresholds:
            return self.thresholds[statement_type]
        group = "tweet" if statement_type == "tweet" else "non_tweet"
        return self.thresholds.get(group, self.default_threshold)

    def extra_features(
        self, texts: Sequence[str], type_ids: np.ndarray, meta: Sequence[dict[str, Any]] | None = None
    ) -> torch.Tensor | None:
        """The ``[n, n_extra]`` non-text feature block the head reads, or ``None`` when it reads none.

        Dense float32 (TF-IDF of ``texts`` and the metadata one-hots of ``meta``, see ``model.sparse``);
        ``predict_proba`` computes it batch by batch, so keep ``texts`` to a batch when calling it directly.
        """
        if self.featurizer is None or self.head_config.extra_dim == 0:
            return None
        block = self.featurizer.transform(texts, meta)
        return torch.from_numpy(block.toarray())

    def extra_offset(self, texts: Sequence[str], meta: Sequence[dict[str, Any]] | None = None) -> torch.Tensor | None:
        """A hybrid head's linear logits ``[n, out_dim]`` on the block, as a sparse product (no dense
        ``[n, vocabulary]`` block is built); ``None`` for heads without one. Same as ``head.extra_logits``."""
        if self.featurizer is None or self.head_config.extra_dim == 0:
            return None
        linear = self.model.head.extra_linear
        block = self.featurizer.transform(texts, meta)
        weight = linear.weight.detach().double().numpy()
        out = block @ weight.T + linear.bias.detach().double().numpy()
        return torch.from_numpy(np.asarray(out, dtype=np.float32))

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Padded ids and attention mask, truncated to the model's ``max_length``."""
        return dict(
            self.tokenizer(
                list(texts),
                padding=True,
                truncation=True,
                max_length=self.head_config.max_length,
                return_tensors="pt",
            )
        )

    @torch.inference_mode()
    def predict_proba(
        self, texts: list[str], type_ids: np.ndarray, meta: Sequence[dict[str, Any]] | None = None
    ) -> np.ndarray:
        """``[n, num_classes]`` probabilities; for a binary task column 1 = P(falsehood).

        ``meta`` (one dict per text: statement type name, date, source …) feeds heads that read metadata.
        """
        if len(texts) != len(type_ids):
            raise ModelError(f"{len(texts)} texts but {len(type_ids)} type ids", hint="pass one type id per text")
        if meta is not None and len(meta) != len(texts):
            raise ModelError(f"{len(texts)} texts but {len(meta)} meta dicts", hint="pass one meta dict per text")
        out = np.zeros((len(texts), self.num_classes), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # by length: less padding
        types = torch.as_tensor(np.asarray(type_ids, dtype=np.int64))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = self.tokenize([texts[i] for i in idx])
            pooled = self.model.pooled(batch["input_ids"], batch["attention_mask"])
            logits = self.model.head(
                pooled, types[idx], offset=self.extra_offset([texts[i] for i in idx], _take(meta, idx))
            )
            out[idx] = probabilities(logits, self.num_classes).numpy()
        return out

    @torch.inference_mode()
    def features(self, texts: list[str], type_ids: np.ndarray) -> np.ndarray:
        """The pre-classifier vectors ``[n, hidden_dim]``."""
        batch = self.tokenize(texts)
        types = torch.as_tensor(np.asarray(type_ids, dtype=np.int64))
        return self.model.features(batch["input_ids"], batch["attention_mask"], types).numpy()


def _take(meta: Sequence[dict[str, Any]] | None, idx: list[int]) -> list[dict[str, Any]] | None:
    return None if meta is None else [meta[i] for i in idx]


def load_classifier(folder: Path) -> Classifier:
    """Load a model folder written by ``train`` (any kind) as a ``Classifier``."""
    model, tokenizer, head_cfg = load_model_folder(Path(folder))
    return Classifier(
        model=model,
        tokenizer=tokenizer,
        head_config=head_cfg,
        folder=Path(folder),
        encoder_path=Path(folder),
        thresholds=load_thresholds(Path(folder)),
        thresholds_from_all_rows=load_fallbacks(Path(folder)),
        featurizer=ExtraFeatures.load(Path(folder)),
    )


THRESHOLDS_FILE = "thresholds.json"


def load_thresholds(folder: Path) -> dict[str, float]:
    """Per-type decision thresholds stored in a model folder (``{}`` when it has none)."""
    path = folder / THRESHOLDS_FILE
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in raw.get("thresholds", raw).items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise ModelError(f"{path} is not a valid thresholds file: {exc}", hint="re-train or fix the file") from exc


def load_fallbacks(folder: Path) -> dict[str, str]:
    """The types whose cut is the all-rows cut for too few validation rows, with the reason (``uses_all`` of
    ``thresholds.json``; ``{}`` when none or no file)."""
    path = Path(folder) / THRESHOLDS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        return {}
    uses_all = raw.get("uses_all") if isinstance(raw, dict) else None
    return {str(k): str(v) for k, v in uses_all.items()} if isinstance(uses_all, dict) else {}


def fallback_notes(fallbacks: Mapping[str, str]) -> list[str]:
    """One line per type of :func:`load_fallbacks`, as ``demo`` and ``evaluate`` print them."""
    return [
        f"{t}: the cut of all rows ({why} in validation: train.threshold_min_per_class)" for t, why in fallbacks.items()
    ]


FLAGGED, NOT_FLAGGED = "likely falsehood", "not flagged"


def binary_verdict(probability: float, threshold: float) -> tuple[str, float]:
    """Label and confidence (``max(p, 1 - p)``) of a falsehood probability, as the CLI and service show them."""
    return (FLAGGED if probability >= threshold else NOT_FLAGGED), max(probability, 1.0 - probability)
