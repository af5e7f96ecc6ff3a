"""Tiny in-memory splits and a tiny model for train-stage tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from deep_classiflie.dataset.types import DatasetSplit

WORDS = ["the", "tax", "jobs", "wall", "border", "media", "china", "great", "people", "country"]


def make_split(name: str, n: int, *, seed: int) -> DatasetSplit:
    """Statements whose label is 1 when they contain 'fake news' (learnable by a tiny model)."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        words = list(rng.choice(WORDS, size=int(rng.integers(3, 9))))
        label = i % 2
        if label:
            words.insert(int(rng.integers(0, len(words))), "fake news")
        texts.append(" ".join(words))
        labels.append(label)
    return DatasetSplit(
        name=name,
        statement_ids=np.arange(n, dtype=np.int64) + (0 if name == "train" else 1000),
        texts=texts,
        labels=np.asarray(labels, dtype=np.int64),
        type_ids=(np.arange(n) % 3 == 0).astype(np.int64),
        weights=np.ones(n, dtype=np.float32),
        dates=np.full(n, np.datetime64("NaT"), dtype="datetime64[s]"),
    )


@pytest.fixture
def tiny_splits() -> dict[str, DatasetSplit]:
    """train (24), val (8) and test (8) statements."""
    return {
        "train": make_split("train", 24, seed=0),
        "val": make_split("val", 8, seed=1),
        "test": make_split("test", 8, seed=2),
    }


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture
def tiny_albert_path(tmp_path: Path, tiny_encoder_path: Path) -> Path:
    """A tiny random ALBERT folder (shares the tiny BERT's WordPiece tokenizer)."""
    from transformers import AlbertConfig, AlbertModel, AutoTokenizer

    folder = tmp_path / "tiny_albert"
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(tiny_encoder_path))
    cfg = AlbertConfig(
        vocab_size=len(tok),
        embedding_size=16,
        hidden_size=32,
        num_attention_heads=2,
        intermediate_size=64,
        num_hidden_layers=2,
        num_hidden_groups=1,
        max_position_embeddings=128,
    )
    AlbertModel(cfg).save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    return folder
