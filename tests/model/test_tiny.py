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


def test_an_encoder_folder_saved_in_bf16_loads_as_fp32_with_the_same_features(
    tiny_encoder_path: Path, tmp_path: Path
) -> None:
    import shutil

    import torch

    from deep_classiflie.model.encoder import embed_texts, load_encoder

    fp32 = load_encoder(tiny_encoder_path)
    half = tmp_path / "bf16"
    shutil.copytree(tiny_encoder_path, half)
    fp32.model.to(torch.bfloat16).save_pretrained(half)  # half the bytes, as carried to another machine
    loaded = load_encoder(half)
    assert {p.dtype for p in loaded.model.parameters()} == {torch.float32}
    texts = ["the wall is great", "fake news media"]
    a = embed_texts(load_encoder(tiny_encoder_path), texts)
    b = embed_texts(loaded, texts)
    assert abs(a - b).max() < 0.05  # the weights were rounded to bf16 once; the pass runs in fp32
