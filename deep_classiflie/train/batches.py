"""Tokenised splits and their mini-batches for fine-tuning (padding per batch, seeded shuffles, DDP shards)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from deep_classiflie.dataset.types import DatasetSplit


@dataclass
class EncodedSplit:
    """A split tokenised once: token ids per statement plus aligned labels, types and weights."""

    name: str
    ids: list[list[int]]
    type_ids: torch.Tensor
    labels: torch.Tensor
    weights: torch.Tensor
    pad_id: int

    def __len__(self) -> int:
        return len(self.ids)


def encode_split(split: DatasetSplit, tokenizer: Any, *, max_length: int) -> EncodedSplit:
    """Tokenise every text of ``split`` (truncated to ``max_length``)."""
    ids = tokenizer(list(split.texts), truncation=True, max_length=max_length)["input_ids"]
    return EncodedSplit(
        name=split.name,
        ids=[list(x) for x in ids],
        type_ids=torch.as_tensor(split.type_ids, dtype=torch.long),
        labels=torch.as_tensor(split.labels, dtype=torch.long),
        weights=torch.as_tensor(split.weights, dtype=torch.float32),
        pad_id=int(tokenizer.pad_token_id or 0),
    )


def collate(data: EncodedSplit, idx: list[int]) -> dict[str, torch.Tensor]:
    """Pad the statements ``idx`` to their longest; returns the model inputs and targets."""
    width = max(len(data.ids[i]) for i in idx)
    input_ids = torch.full((len(idx), width), data.pad_id, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    for row, i in enumerate(idx):
        input_ids[row, : len(data.ids[i])] = torch.as_tensor(data.ids[i])
        mask[row, : len(data.ids[i])] = 1
    pick = torch.as_tensor(idx)
    return {
        "input_ids": input_ids,
        "attention_mask": mask,
        "type_ids": data.type_ids[pick],
        "labels": data.labels[pick],
        "weights": data.weights[pick],
    }


def epoch_order(n: int, *, seed: int, epoch: int, shuffle: bool) -> list[int]:
    """The statement order of one epoch: a permutation seeded by (seed, epoch), so a resume replays it."""
    if not shuffle:
        return list(range(n))
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch)).tolist()


def iter_batches(
    data: EncodedSplit,
    *,
    batch_size: int,
    seed: int,
    epoch: int,
    shuffle: bool,
    rank: int = 0,
    world: int = 1,
) -> Iterator[dict[str, torch.Tensor]]:
    """Global batches of ``batch_size``; with DDP each rank takes its share (``rank::world``) of each."""
    order = epoch_order(len(data), seed=seed, epoch=epoch, shuffle=shuffle)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        if world > 1 and len(chunk) < world:
            continue  # a rank without data would leave the others waiting in all-reduce
        mine = chunk[rank::world]
        if mine:
            yield collate(data, mine)


def num_batches(n: int, batch_size: int) -> int:
    """Global batches per epoch."""
    return (n + batch_size - 1) // batch_size
