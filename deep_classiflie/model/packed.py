"""ALBERT over packed statements: many statements in one token row, attention kept inside each statement.

Padding wastes most of a batch (statements average ~43 tokens, batches pad to 128). Here a batch is one
flat row of tokens; ``doc_ids`` says which statement each token belongs to and attention is masked per
statement, with FlexAttention block masks on GPU (blocks across statements are skipped, not computed) or a
dense block-diagonal mask through SDPA elsewhere. Module and parameter names equal ``transformers``'
``AlbertModel``, so the same HF weights load unchanged (``from_hf``); a parity test checks the outputs.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class _Embeddings(nn.Module):
    def __init__(self, cfg: Any) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.embedding_size, padding_idx=cfg.pad_token_id)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.embedding_size)
        self.token_type_embeddings = nn.Embedding(cfg.type_vocab_size, cfg.embedding_size)
        self.LayerNorm = nn.LayerNorm(cfg.embedding_size, eps=cfg.layer_norm_eps)

    def forward(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        x = self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings.weight[0]
        return self.LayerNorm(x)


class _Attention(nn.Module):
    def __init__(self, cfg: Any) -> None:
        super().__init__()
        h = cfg.hidden_size
        self.heads = cfg.num_attention_heads
        self.query, self.key, self.value, self.dense = (nn.Linear(h, h) for _ in range(4))
        self.LayerNorm = nn.LayerNorm(h, eps=cfg.layer_norm_eps)


class _Layer(nn.Module):
    def __init__(self, cfg: Any) -> None:
        super().__init__()
        from transformers.activations import ACT2FN

        self.attention = _Attention(cfg)
        self.ffn = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.ffn_output = nn.Linear(cfg.intermediate_size, cfg.hidden_size)
        self.full_layer_layer_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.act = ACT2FN[cfg.hidden_act]

    def forward(self, x: torch.Tensor, attend: Any) -> torch.Tensor:
        """Post-LN block: 1) attention within each statement, residual, LN; 2) FFN, residual, LN."""
        a = self.attention
        t, h = x.shape
        q, k, v = (m(x).view(1, t, a.heads, h // a.heads).transpose(1, 2) for m in (a.query, a.key, a.value))
        ctx = attend(q, k, v).transpose(1, 2).reshape(t, h)
        x = a.LayerNorm(x + a.dense(ctx))
        return self.full_layer_layer_norm(x + self.ffn_output(self.act(self.ffn(x))))


class _Group(nn.Module):
    def __init__(self, cfg: Any) -> None:
        super().__init__()
        self.albert_layers = nn.ModuleList(_Layer(cfg) for _ in range(cfg.inner_group_num))


class _Encoder(nn.Module):
    def __init__(self, cfg: Any) -> None:
        super().__init__()
        self.embedding_hidden_mapping_in = nn.Linear(cfg.embedding_size, cfg.hidden_size)
        self.albert_layer_groups = nn.ModuleList(_Group(cfg) for _ in range(cfg.num_hidden_groups))


def block_diagonal_attention(doc_ids: torch.Tensor):
    """SDPA with a dense ``[T, T]`` same-statement mask (any device; O(T²) memory, for CPU and tests)."""
    mask = (doc_ids[:, None] == doc_ids[None, :])[None, None]
    return lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def statement_block_mask(doc_ids: torch.Tensor, *, block_size: int = 128) -> Any:
    """A FlexAttention ``BlockMask`` allowing attention only within a statement (GPU path).

    Built once per packed row (the rows are fixed up front, so all masks can be built before training).
    """
    from torch.nn.attention.flex_attention import create_block_mask

    def same_doc(b, h, q, kv):
        return doc_ids[q] == doc_ids[kv]

    t = doc_ids.shape[0]
    return create_block_mask(same_doc, None, None, t, t, device=doc_ids.device, BLOCK_SIZE=block_size)


def flex_attention_fn(block_mask: Any):
    """Attention through FlexAttention with ``block_mask`` (compiled together with the model)."""
    from torch.nn.attention.flex_attention import flex_attention

    return lambda q, k, v: flex_attention(q, k, v, block_mask=block_mask)


class PackedAlbert(nn.Module):
    """``AlbertModel`` for a packed row: ``forward(ids, pos, doc_ids, starts)`` → (hidden ``[T, H]``, pooled ``[B, H]``)."""

    def __init__(self, cfg: Any) -> None:
        super().__init__()
        self.config = cfg
        self.embeddings = _Embeddings(cfg)
        self.encoder = _Encoder(cfg)
        self.pooler = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    @classmethod
    def from_hf(cls, hf_model: nn.Module) -> PackedAlbert:
        """The same weights as a ``transformers`` ``AlbertModel`` (names match one to one)."""
        model = cls(hf_model.config)
        state = {k: v for k, v in hf_model.state_dict().items() if not k.endswith(("position_ids", "token_type_ids"))}
        model.load_state_dict(state, strict=True)
        return model

    def forward(
        self,
        ids: torch.Tensor,
        pos: torch.Tensor,
        doc_ids: torch.Tensor,
        starts: torch.Tensor,
        block_mask: Any = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """1) embed; 2) map to hidden; 3) the (shared) layers with per-statement attention (FlexAttention
        when a ``block_mask`` is given, else dense-masked SDPA); 4) pool each statement's first ([CLS])
        token through the pooler."""
        attend = flex_attention_fn(block_mask) if block_mask is not None else block_diagonal_attention(doc_ids)
        cfg = self.config
        x = self.encoder.embedding_hidden_mapping_in(self.embeddings(ids, pos))
        per_group = cfg.num_hidden_layers // cfg.num_hidden_groups
        for i in range(cfg.num_hidden_layers):
            for layer in self.encoder.albert_layer_groups[i // per_group].albert_layers:
                x = layer(x, attend)
        return x, torch.tanh(self.pooler(x[starts]))


def pack(lengths: list[int], budget: int) -> list[list[int]]:
    """Greedy first-fit-decreasing packing of statements (by index) into rows of at most ``budget`` tokens."""
    rows: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda j: -lengths[j]):
        for r, free in enumerate(room):
            if lengths[i] <= free:
                rows[r].append(i)
                room[r] -= lengths[i]
                break
        else:
            rows.append([i])
            room.append(budget - lengths[i])
    return rows


def packed_inputs(seqs: list[list[int]], *, pad_to: int | None = None, pad_id: int = 0) -> dict[str, torch.Tensor]:
    """Flat ``ids``, per-statement ``pos``, ``doc_ids`` and the ``starts`` of each statement in the row.

    Padding (to ``pad_to`` tokens, for static shapes under ``torch.compile``) forms its own document.
    """
    ids = [t for s in seqs for t in s]
    pos = [p for s in seqs for p in range(len(s))]
    doc = [d for d, s in enumerate(seqs) for _ in s]
    starts, at = [], 0
    for s in seqs:
        starts.append(at)
        at += len(s)
    if pad_to is not None and pad_to > len(ids):
        extra = pad_to - len(ids)
        ids, pos, doc = ids + [pad_id] * extra, pos + [0] * extra, doc + [len(seqs)] * extra
    return {
        "ids": torch.tensor(ids),
        "pos": torch.tensor(pos),
        "doc_ids": torch.tensor(doc),
        "starts": torch.tensor(starts),
    }
