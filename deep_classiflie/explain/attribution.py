"""Integrated gradients over the encoder's input embeddings (captum ``LayerIntegratedGradients``), batched.

The attributed layer is the token-embedding lookup; the model runs from ``inputs_embeds`` so that a
baseline can be token ids (every non-special token replaced by the pad or mask token) or all-zero
embeddings. The weights never get gradients (only the embeddings do). Speed levers, measured in
``bench/explain.py``:

1. precision: where the CPU has native bf16 matrix kernels (``explain.precision: auto``) the path integral runs
   on a bf16 copy of the encoder with plain (eager) attention, 2.5-3x faster than fp32; the endpoints f(x) and
   f(baseline) always come from the fp32 model as it predicts, so the reported convergence delta checks the
   attributions against the served model, bf16 rounding included;
2. adaptive steps (``auto``: with the bf16 path): every statement first gets ``min_steps``; those whose delta
   is over the tolerance are redone with ``n_steps``, then twice that, up to ``max_steps``, and keep their best
   pass (on fp32-only CPUs the redone statements cost more than the early stops save, so ``auto`` is off there);
3. batches of similar token counts, padded only to the longest (``batch_size``, ``max_padding``).
"""

from __future__ import annotations

import weakref
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
from deep_classiflie.model.encoder import pooled_output
from deep_classiflie.model.precision import encoder_copy, resolve_precision

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
    """``(input_ids, attention_mask, type_ids, extra) → [batch, outputs]`` logits, through ``TokenEmbedding``.

    ``encoder`` is the model's own encoder or a reduced-precision copy of it; the token embeddings (the
    attributed layer) and the head stay the model's own, in fp32, so attributions and logits are fp32 tensors.
    """

    def __init__(self, model: FactClassifier, encoder: nn.Module | None = None) -> None:
        super().__init__()
        self.model = model
        self.encoder = model.encoder if encoder is None else encoder
        self.dtype = next(self.encoder.parameters()).dtype
        self.tokens = TokenEmbedding(model.input_embeddings())

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        type_ids: torch.Tensor,
        extra: torch.Tensor | None = None,
    ) -> torch.Tensor:
        embeds = self.tokens(input_ids)
        outputs = self.encoder(attention_mask=attention_mask, inputs_embeds=embeds.to(self.dtype))
        pooled = pooled_output(outputs, attention_mask, self.model.head.cfg.pooling).float()
        logits = self.model.head(pooled, type_ids) if extra is None else self.model.head(pooled, type_ids, extra=extra)
        return logits.unsqueeze(-1) if logits.dim() == 1 else logits


# One reduced-precision encoder copy per loaded model (made on first use, dropped with the model).
_COPIES: weakref.WeakKeyDictionary[FactClassifier, dict[str, nn.Module]] = weakref.WeakKeyDictionary()


def path_model(model: FactClassifier, precision: str) -> AttributionModel:
    """The model the path integral runs on: fp32 = the model itself; bf16 = a cached bf16 copy of its encoder."""
    resolved = resolve_precision(precision)
    if resolved == "fp32":
        return AttributionModel(model).eval()
    copies = _COPIES.setdefault(model, {})
    if resolved not in copies:
        copies[resolved] = encoder_copy(model.encoder, torch.bfloat16)
    return AttributionModel(model, copies[resolved]).eval()


@dataclass(frozen=True)
class TokenAttribution:
    """One statement's attribution: a score per token (summed over the embedding dimension) and its checks."""

    input_ids: np.ndarray  # [n_tokens] the ids the model saw (no padding)
    offsets: np.ndarray  # [n_tokens, 2] character spans in the text; (0, 0) for special tokens
    scores: np.ndarray  # [n_tokens] attribution per token, raw (not normalised)
    target: int  # the output attributed: 0 = the falsehood logit (binary), else the class index
    target_value: float  # f(x): the attributed logit of the statement (fp32 model)
    baseline_value: float  # f(baseline) (fp32 model)
    delta: float  # convergence delta: sum(scores) - (f(x) - f(baseline)), captum's definition
    n_steps: int  # steps of the pass kept
    precision: str = "fp32"  # the path integral's precision (the endpoints are always fp32)


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
    reference = AttributionModel(classifier.model).eval()  # fp32, as the model predicts: f(x), f(baseline)
    path = path_model(classifier.model, config.precision)  # where the path integral runs
    lig = LayerIntegratedGradients(path, path.tokens)
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
                lig, reference, classifier, batch, types_all[idx], batch_extra, batch_targets, config
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


def adaptive_on(config: ExplainConfig, precision: str) -> bool:
    """``adaptive`` as given, or for ``auto``: on when the path integral runs in bf16 (``precision``, resolved)."""
    return config.adaptive if isinstance(config.adaptive, bool) else precision == "bf16"


def step_schedule(config: ExplainConfig, precision: str = "fp32") -> list[int]:
    """``[n_steps]``; adaptive (see ``adaptive_on``): ``[min_steps, n_steps, 2·n_steps, …]`` up to ``max_steps``.

    Every statement gets the first pass; only those whose delta is still over the tolerance get the next, so a
    statement that converges early costs ``min_steps`` and a hard one gets more than ``n_steps``. Gausslegendre
    points do not nest, so each pass is computed afresh (the doubling bounds the total at under twice the last).
    """
    if not adaptive_on(config, precision):
        return [config.n_steps]
    steps = [config.min_steps] if config.min_steps < config.n_steps else []
    steps.append(config.n_steps)
    while steps[-1] * 2 <= config.max_steps:
        steps.append(steps[-1] * 2)
    return steps


def tolerance(config: ExplainConfig, gap: torch.Tensor) -> torch.Tensor:
    """The largest |delta| accepted: ``delta_tolerance`` of |f(x) - f(baseline)|, with gaps under one logit
    counted as one (a relative bound on a near-zero gap would ask for more precision than bf16 or the
    quadrature give, for a difference nobody reads)."""
    return config.delta_tolerance * gap.abs().double().clamp(min=1.0)


def _attribute_batch(
    lig: Any,
    reference: AttributionModel,
    classifier: Classifier,
    batch: dict[str, torch.Tensor],
    types: torch.Tensor,
    extra: torch.Tensor | None,
    targets: list[int] | None,
    config: ExplainConfig,
) -> list[TokenAttribution]:
    ids, mask = batch["input_ids"], batch["attention_mask"]
    base = baseline_ids(ids, batch["special_tokens_mask"] | (mask == 0), config.baseline, classifier.tokenizer)
    # 1) the endpoints, fp32: f(x) picks the target (multi-class: the predicted class); the delta uses both.
    with torch.no_grad():
        fx = reference(ids, mask, types, extra)
        fb = reference(base, mask, types, extra)
    if targets is None:
        targets = [0] * len(ids) if fx.shape[-1] == 1 else fx.argmax(-1).tolist()
    rows = torch.arange(len(ids))
    target_t = torch.as_tensor(targets)
    gap = (fx[rows, target_t] - fb[rows, target_t]).double()
    accept = tolerance(config, gap)
    # 2) integrated gradients; with the adaptive schedule only statements still over tolerance are redone,
    #    and each keeps its pass with the smallest |delta|.
    scores = torch.zeros(ids.shape, dtype=torch.float64)
    deltas = torch.full((len(ids),), float("inf"), dtype=torch.float64)
    used = torch.zeros(len(ids), dtype=torch.int64)
    todo = torch.ones(len(ids), dtype=torch.bool)
    precision = "bf16" if lig.forward_func.dtype == torch.bfloat16 else "fp32"
    for n_steps in step_schedule(config, precision):
        sel = todo.nonzero().squeeze(-1)
        extra_args = (mask[sel], types[sel], None if extra is None else extra[sel])
        attr = lig.attribute(
            ids[sel],
            baselines=base[sel],
            additional_forward_args=extra_args,
            target=[targets[int(i)] for i in sel],
            n_steps=n_steps,
            method=config.method,
            internal_batch_size=_internal_batch(config, len(sel)),
        )
        new_scores = attr.sum(dim=-1).double()
        new_deltas = new_scores.sum(dim=-1) - gap[sel]
        better = new_deltas.abs() < deltas[sel].abs()
        keep = sel[better]
        scores[keep] = new_scores[better]
        deltas[keep] = new_deltas[better]
        used[keep] = n_steps
        todo[sel] = deltas[sel].abs() > accept[sel]
        if not todo.any():
            break
    # 3) per statement, the tokens the model saw (padding dropped).
    results = []
    for r in range(len(ids)):
        keep_tokens = mask[r].bool()
        results.append(
            TokenAttribution(
                input_ids=ids[r][keep_tokens].numpy(),
                offsets=batch["offset_mapping"][r][keep_tokens].numpy(),
                scores=scores[r][keep_tokens].numpy(),
                target=int(targets[r]),
                target_value=float(fx[r, targets[r]]),
                baseline_value=float(fb[r, targets[r]]),
                delta=float(deltas[r]),
                n_steps=int(used[r]),
                precision=precision,
            )
        )
    return results


def _internal_batch(config: ExplainConfig, n_statements: int) -> int | None:
    # captum needs at least one interpolation point per statement in each chunk.
    if config.internal_batch_size is None:
        return None
    return max(config.internal_batch_size, n_statements)
