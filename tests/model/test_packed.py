"""The packed ALBERT loads HF weights and matches ``transformers``' AlbertModel (fp32, CPU)."""

from __future__ import annotations

import pytest
import torch

from deep_classiflie.model.packed import PackedAlbert, pack, packed_inputs


@pytest.fixture
def hf_albert():
    from transformers import AlbertConfig, AlbertModel

    torch.manual_seed(0)
    cfg = AlbertConfig(
        vocab_size=50,
        embedding_size=16,
        hidden_size=32,
        num_attention_heads=4,
        intermediate_size=64,
        num_hidden_layers=3,
        num_hidden_groups=1,
        max_position_embeddings=64,
    )
    return AlbertModel(cfg).eval()


def test_packed_outputs_match_transformers(hf_albert) -> None:
    torch.manual_seed(1)
    lengths = [7, 3, 12, 5]
    seqs = [[2, *torch.randint(5, 50, (n - 2,)).tolist(), 3] for n in lengths]
    width = max(lengths)
    ids = torch.zeros(len(seqs), width, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, s in enumerate(seqs):
        ids[i, : len(s)], mask[i, : len(s)] = torch.tensor(s), 1
    with torch.no_grad():
        ref = hf_albert(input_ids=ids, attention_mask=mask)
        ours = PackedAlbert.from_hf(hf_albert).eval()
        batch = packed_inputs(seqs, pad_to=40)
        hidden, pooled = ours(**batch)
    at = 0
    for i, n in enumerate(lengths):
        torch.testing.assert_close(hidden[at : at + n], ref.last_hidden_state[i, :n], rtol=1e-5, atol=1e-5)
        at += n
    torch.testing.assert_close(pooled, ref.pooler_output, rtol=1e-5, atol=1e-5)


def test_pack_respects_the_budget_and_keeps_every_statement() -> None:
    lengths = [50, 40, 30, 20, 10, 64, 5]
    rows = pack(lengths, 64)
    assert sorted(i for r in rows for i in r) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in r) <= 64 for r in rows)
    assert len(rows) == 4


def test_flex_attention_path_matches_the_dense_mask(hf_albert) -> None:
    from deep_classiflie.model.packed import statement_block_mask

    seqs = [[2, 7, 8, 3], [2, 9, 10, 11, 12, 3], [2, 13, 3]]
    batch = packed_inputs(seqs, pad_to=16)
    ours = PackedAlbert.from_hf(hf_albert).eval()
    try:
        mask = statement_block_mask(batch["doc_ids"], block_size=16)
        with torch.no_grad():
            flex = ours(**batch, block_mask=mask)
    except Exception as exc:  # FlexAttention's CPU support depends on the torch build
        pytest.skip(f"FlexAttention unavailable on this CPU build: {type(exc).__name__}")
    with torch.no_grad():
        dense = ours(**batch)
    torch.testing.assert_close(flex[1], dense[1], rtol=1e-4, atol=1e-4)
