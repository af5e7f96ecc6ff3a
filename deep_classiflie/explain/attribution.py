"""Integrated gradients over the encoder's input embeddings (captum ``LayerIntegratedGradients``), batched.

The attributed layer is the token-embedding lookup; the model runs from ``inputs_embeds`` so that a
baseline can be token ids (every non-special token replaced by the pad or mask token) or all-zero
embeddings. Several statements go through one call, padded only to the longest of the batch; the weights
never get gradients (only the embeddings do). With ``adaptive`` on, statements start at ``min_steps`` and
only those whose convergence delta is over the tolerance are redone with ``n_steps``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from deep_classiflie.config.explain import ExplainConfig
from deep_classiflie.core.errors import ModelError
from deep_classiflie.model.classifier import Classifier, FactClassifier

ZERO_ID = -1  # a baseline "token" whose embedding is the zero vector


class TokenEmbedding(nn.Module):
    """The encoder's token-embedding lookup, where id ``ZERO_ID`` looks up the zero vector.

    This is the layer captum attributes to: its output is exactly what the encoder's own embedding
    layer returns for real ids, so attributions are over the input embeddings.
    """

    def __init__(self, embedding: nn.Module) -> None:
        super().__init__()
        self.embedding = embedding

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out = self.embedding(ids.clamp(min=0))
        return out * (ids != ZERO_ID).unsqueeze(-1).to(out.dtype)


class AttributionModel(nn.Module):
    """``(input_ids, attention_mask, type_ids, extra) → [batch, outputs]`` logits, through ``TokenEmbedding``."""

    def __init__(self, model: FactClassifier) -> None:
        super().__init__()
        self.model = model
        self.tokens = TokenEmbedding(model.input_embeddings())

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        type_ids: torch.Tensor,
        extra: torch.Tensor | None = None,
    ) -> torch.Tensor:
        logits = self.model(None, attention_mask, type_ids, inputs_embeds=self.tokens(input_ids), extra=extra)
        return logits.unsqueeze(-1) if logits.dim() == 1 else logits


@dataclass(frozen=True)
class TokenAttribution:
    """One statement's attribution: a score per token (summed over the embedding dimension) and its checks."""

    input_ids: np.ndarray  # [n_tokens] the ids the model saw (no padding)
    offsets: np.ndarray  # [n_tokens, 2] character spans in the text; (0, 0) for special tokens
    scores: np.ndarray  # [n_tokens] attribution per token, raw (not normalised)
    target: int  # the output attributed: 0 = the falsehood logit (binary), else the class index
    target_value: float  # f(x): the attributed logit of the statement
    baseline_value: float  # f(baseline)
    delta: float  # captum's convergence delta: sum(scores) - (f(x) - f(baseline))
    n_steps: int  # steps actually used


def baseline_ids(input_ids: torch.Tensor, special_mask: torch.Tensor, kind: str, tokenizer: Any) -> torch.Tensor:
    """The baseline sequence: every non-special token replaced by pad / mask, or by the zero embedding."""
    if kind == "zeros":
        fill = ZERO_ID
    else:
        token_id = tokenizer.pad_token_id if kind == "pad" else tokenizer.mask_token_id
        if token_id is None:
            raise ModelError(
                f"the model's tokenizer has no {kind} token for the {kind!r} attribution baseline",
                hint="set explain.baseline to 'zeros' (or another baseline the tokenizer has)",
            )
        fill = int(token_id)
    return torch.where(special_mask.bool(), input_ids, torch.full_like(input_ids, fill))


@contextmanager
def frozen_weights(model: nn.Module) -> Iterator[None]:
    """Weights without gradients for the duration (only the input embeddings get them); restored after."""
    before = [(p, p.requires_grad) for p in model.parameters()]
    for p, _ in before:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in before:
            p.requires_grad_(flag)


def attribute(
    classifier: Classifier,
    texts: Sequence[str],
    type_ids: np.ndarray,
    config: ExplainConfig,
    *,
    extra: torch.Tensor | None = None,
    targets: Sequence[int] | None = None,
) -> list[TokenAttribution]:
    """Attributions of ``texts`` (one per text, in order), up to ``config.batch_size`` statements per captum call.

    ``targets``: the output index per text (binary models: 0, the falsehood logit; multi-class: default
    the predicted class). ``extra``: the hybrid head's ``[n, n_extra]`` block, passed through as a
    constant forward argument (attribution is over the text embeddings only).
    """
    from captum.attr import LayerIntegratedGradients

    if len(texts) != len(type_ids):
        raise ModelError(f"{len(texts)} texts but {len(type_ids)} type ids", hint="pass one type id per text")
    wrapped = AttributionModel(classifier.model).eval()
    lig = LayerIntegratedGradients(wrapped, wrapped.tokens)
    types_all = torch.as_tensor(np.asarray(type_ids, dtype=np.int64))
    # Batches of similar token counts, so a batch pads little; results go back to the caller's order.
    unpadded = classifier.tokenizer(list(texts), truncation=True, max_length=classifier.head_config.max_length)
    lengths = [len(ids) for ids in unpadded["input_ids"]]
    out: list[TokenAttribution | None] = [None] * len(texts)
    with frozen_weights(classifier.model):
        for idx in length_batches(lengths, config.batch_size, config.max_padding):
            batch = _encode(classifier, [texts[i] for i in idx])
            batch_extra = None if extra is None else extra[idx]
            batch_targets = None if targets is None else [int(targets[i]) for i in idx]
            results = _attribute_batch(
                lig, wrapped, classifier, batch, types_all[idx], batch_extra, batch_targets, config
            )
            for i, result in zip(idx, results, strict=True):
                out[i] = result
    return [r for r in out if r is not None]


def length_batches(lengths: Sequence[int], batch_size: int, max_padding: float = 0.1) -> list[list[int]]:
    """Indices grouped into batches of at most ``batch_size``, by token count (shortest first).

    A batch is closed early when adding the next statement would make padding more than ``max_padding`` of
    its tokens: every padded position costs a full forward and backward pass at each of the ``n_steps``.
    """
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        candidate = [*current, i]
        real = sum(lengths[j] for j in candidate)
        padded = lengths[i] * len(candidate)  # sorted: the newest is the longest
        if current and (len(candidate) > batch_size or padded > (1 + max_padding) * real):
            batches.append(current)
            candidate = [i]
        current = candidate
    if current:
        batches.append(current)
    return batches


def _encode(classifier: Classifier, texts: list[str]) -> dict[str, torch.Tensor]:
    enc = classifier.tokenizer(
        texts,
        padding=True,
        truncation=True,
        max_length=classifier.head_config.max_length,
        return_tensors="pt",
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
    )
    return dict(enc)


def _step_schedule(config: ExplainConfig) -> list[int]:
    """``[n_steps]``; with ``adaptive``, ``[min_steps, n_steps]``: a first pass at ``min_steps``, then ``n_steps`` for
    the statements still over tolerance (gausslegendre points do not nest, so a pass cannot reuse the one before;
    two passes bound the worst case at ``n_steps + min_steps``)."""
    if not config.adaptive or config.min_steps >= config.n_steps:
        return [config.n_steps]
    return [config.min_steps, config.n_steps]


def _attribute_batch(
    lig: Any,
    wrapped: AttributionModel,
    classifier: Classifier,
    batch: dict[str, torch.Tensor],
    types: torch.Tensor,
    extra: torch.Tensor | None,
    targets: list[int] | None,
    config: ExplainConfig,
) -> list[TokenAttribution]:
    ids, mask = batch["input_ids"], batch["attention_mask"]
    base = baseline_ids(ids, batch["special_tokens_mask"] | (mask == 0), config.baseline, classifier.tokenizer)
    # 1) the endpoints: f(x) picks the target (multi-class: the predicted class), f(baseline) for the report.
    with torch.no_grad():
        fx = wrapped(ids, mask, types, extra)
        fb = wrapped(base, mask, types, extra)
    if targets is None:
        targets = [0] * len(ids) if fx.shape[-1] == 1 else fx.argmax(-1).tolist()
    rows = torch.arange(len(ids))
    target_t = torch.as_tensor(targets)
    gap = (fx[rows, target_t] - fb[rows, target_t]).abs()
    # 2) integrated gradients; with the adaptive schedule only statements still over tolerance are redone.
    scores = torch.zeros(ids.shape, dtype=torch.float64)
    deltas = torch.full((len(ids),), float("nan"), dtype=torch.float64)
    used = torch.zeros(len(ids), dtype=torch.int64)
    todo = torch.ones(len(ids), dtype=torch.bool)
    for n_steps in _step_schedule(config):
        sel = todo.nonzero().squeeze(-1)
        extra_args = (mask[sel], types[sel], None if extra is None else extra[sel])
        attr, delta = lig.attribute(
            ids[sel],
            baselines=base[sel],
            additional_forward_args=extra_args,
            target=[targets[int(i)] for i in sel],
            n_steps=n_steps,
            method=config.method,
            internal_batch_size=_internal_batch(config, len(sel)),
            return_convergence_delta=True,
        )
        scores[sel] = attr.sum(dim=-1).double()
        deltas[sel] = delta.double()
        used[sel] = n_steps
        todo[sel] = deltas[sel].abs() > config.delta_tolerance * gap[sel].double().clamp(min=1e-3)
        if not todo.any():
            break
    # 3) per statement, the tokens the model saw (padding dropped).
    results = []
    for r in range(len(ids)):
        keep = mask[r].bool()
        results.append(
            TokenAttribution(
                input_ids=ids[r][keep].numpy(),
                offsets=batch["offset_mapping"][r][keep].numpy(),
                scores=scores[r][keep].numpy(),
                target=int(targets[r]),
                target_value=float(fx[r, targets[r]]),
                baseline_value=float(fb[r, targets[r]]),
                delta=float(deltas[r]),
                n_steps=int(used[r]),
            )
        )
    return results


def _internal_batch(config: ExplainConfig, n_statements: int) -> int | None:
    # captum needs at least one interpolation point per statement in each chunk.
    if config.internal_batch_size is None:
        return None
    return max(config.internal_batch_size, n_statements)
