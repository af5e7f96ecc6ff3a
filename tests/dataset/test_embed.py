"""Filter embeddings with the tiny encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from deep_classiflie.dataset.embed import filter_embeddings, input_embeddings
from deep_classiflie.model.encoder import load_encoder


def test_input_embedding_is_the_mean_of_word_piece_rows(tiny_encoder_path: Path) -> None:
    enc = load_encoder(tiny_encoder_path)
    texts = ["the wall is big", "fake news", "china"]
    out = input_embeddings(enc, texts, chunk=2)
    table = enc.model.get_input_embeddings().weight.detach().numpy()  # type: ignore[operator]
    for text, row in zip(texts, out, strict=True):
        ids = enc.tokenizer(text, add_special_tokens=False)["input_ids"]
        assert np.allclose(row, table[ids].mean(axis=0), atol=1e-6)


def test_contextual_embedding_shape(tiny_encoder_path: Path) -> None:
    torch.set_num_threads(1)
    enc = load_encoder(tiny_encoder_path)
    out = filter_embeddings(enc, ["the wall", "taxes are big"], kind="contextual")
    assert out.shape == (2, 32) and out.dtype == np.float32
