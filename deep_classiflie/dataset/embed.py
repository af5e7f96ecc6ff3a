"""Embeddings for the false-truth filter.

``input``: the mean of the encoder's *input* word-piece embeddings (the original's non-contextual
filter): one embedding-table lookup per token, no transformer pass, nearly free.
``contextual``: the mean-pooled encoder output (``embed_texts``), a full forward pass per text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from deep_classiflie.model.encoder import Encoder, embed_texts


@torch.inference_mode()
def input_embeddings(encoder: Encoder, texts: Sequence[str], *, max_length: int = 128, chunk: int = 4096) -> np.ndarray:
    """Mean input word-piece embedding of each text, float32 ``[len(texts), hidden]``.

    Special tokens are left out; a text without word pieces gets a zero row. ``embedding_bag``
    averages without materialising the per-token matrix, so memory stays ``chunk × hidden``.
    """
    model: Any = encoder.model
    table = model.get_input_embeddings().weight.detach().float()
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    for start in range(0, len(texts), chunk):
        batch = list(texts[start : start + chunk])
        ids = encoder.tokenizer(batch, add_special_tokens=False, truncation=True, max_length=max_length)["input_ids"]
        lengths = torch.tensor([len(x) for x in ids], dtype=torch.int64)
        flat = torch.tensor([t for x in ids for t in x], dtype=torch.int64)
        offsets = torch.cumsum(torch.cat([torch.zeros(1, dtype=torch.int64), lengths[:-1]]), 0)
        pooled = torch.nn.functional.embedding_bag(flat, table, offsets, mode="mean")
        out[start : start + len(batch)] = pooled.numpy()
    return out


def filter_embeddings(
    encoder: Encoder, texts: Sequence[str], *, kind: str, max_length: int = 128, batch_size: int = 64
) -> np.ndarray:
    """Embeddings of ``kind`` (``input`` or ``contextual``) for the false-truth filter."""
    if kind == "input":
        return input_embeddings(encoder, texts, max_length=max_length)
    return embed_texts(
        encoder, texts, max_length=max_length, batch_size=batch_size, pooling="mean", description="filter embeddings"
    )
