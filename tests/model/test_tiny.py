"""The tiny test encoder tokenises real words (a regression: its tokenizer once knew only the special tokens)."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoConfig, AutoTokenizer

from deep_classiflie.model.tiny import tiny_vocab


def test_tiny_tokenizer_knows_its_vocabulary(tiny_encoder_path: Path) -> None:
    tok = AutoTokenizer.from_pretrained(str(tiny_encoder_path))
    assert len(tok) == len(tiny_vocab())
    assert tok.tokenize("Fake news is BIG, xyz!") == ["fake", "news", "is", "big", ",", "x", "##y", "##z", "!"]
    ids = tok("fake news")["input_ids"]
    assert tok.unk_token_id not in ids
    assert AutoConfig.from_pretrained(str(tiny_encoder_path)).vocab_size == len(tok)
