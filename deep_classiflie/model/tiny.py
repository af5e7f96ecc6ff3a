"""A tiny randomly initialised BERT (2 layers, hidden 32) with a self-contained WordPiece vocabulary.

It stands in for the real encoder in tests and offline smoke runs: same code paths, seconds on a CPU.
"""

from __future__ import annotations

import string
from pathlib import Path

import torch

_WORDS = [
    "the",
    "a",
    "an",
    "and",
    "or",
    "of",
    "to",
    "in",
    "is",
    "was",
    "are",
    "were",
    "be",
    "been",
    "it",
    "that",
    "this",
    "he",
    "she",
    "they",
    "we",
    "you",
    "i",
    "not",
    "no",
    "yes",
    "false",
    "true",
    "fake",
    "news",
    "said",
    "says",
    "will",
    "would",
    "have",
    "has",
    "had",
    "for",
    "on",
    "with",
    "as",
    "at",
    "by",
    "from",
    "people",
    "country",
    "tax",
    "taxes",
    "jobs",
    "trade",
    "china",
    "russia",
    "democrats",
    "republicans",
    "wall",
    "border",
    "media",
    "great",
    "very",
    "big",
    "best",
]


def tiny_vocab() -> list[str]:
    """Special tokens, characters, continuation pieces and a few common words: tokenises any text."""
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars), *_WORDS]
    return list(dict.fromkeys(pieces))  # "a" and "i" are characters and words: one id each


def make_tiny_encoder(folder: Path, *, seed: int = 0, hidden: int = 32, layers: int = 2) -> Path:
    """Write a tiny random BERT + tokenizer as an HF folder and return it."""
    from transformers import BertConfig, BertModel, BertTokenizerFast  # type: ignore[attr-defined]

    folder.mkdir(parents=True, exist_ok=True)
    # The vocabulary as a mapping: transformers 5 builds a fast tokenizer from ``vocab_file=`` with the special
    # tokens only, so every word would become [UNK] (tests/model/test_tiny.py guards this).
    vocab = {piece: i for i, piece in enumerate(tiny_vocab())}
    tokenizer = BertTokenizerFast(vocab=vocab, do_lower_case=True)
    tokenizer.save_pretrained(str(folder))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(str(folder))
    return folder
