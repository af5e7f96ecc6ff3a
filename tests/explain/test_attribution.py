"""Integrated-gradients attributions of the tiny model: shape, determinism, completeness, baselines, targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from deep_classiflie.config.explain import ExplainConfig
from deep_classiflie.core.errors import ModelError
from deep_classiflie.explain.attribution import attribute, baseline_ids, path_model, step_schedule, tolerance
from deep_classiflie.model.classifier import Classifier
from deep_classiflie.model.precision import native_bf16, resolve_precision
from tests.explain.conftest import tiny_classifier

TEXTS = ["fake news about the wall", "the tax jobs, china!", "big"]
TYPES = np.array([0, 1, 1])
# Completeness must hold to this (absolute, on the logit); the wrong-baseline/target gaps below are far larger.
TOL = 2e-3


def fp32(**settings: Any) -> ExplainConfig:
    """fp32 and a fixed step count: results that do not depend on the CPU (bf16 kernels) or on a tolerance."""
    return ExplainConfig(**{"precision": "fp32", "adaptive": False, **settings})


def _logit(clf: Classifier, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor, target: int = 0) -> float:
    with torch.no_grad():
        out = clf.model(ids, mask, types)
    return float(out.reshape(len(ids), -1)[0, target])


def _encoded(clf: Classifier, text: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    enc = clf.tokenizer([text], return_tensors="pt", return_special_tokens_mask=True)
    return enc["input_ids"], enc["attention_mask"], enc["special_tokens_mask"]


def test_one_score_per_token_and_deterministic(classifier: Classifier) -> None:
    cfg = fp32(n_steps=20)
    first = attribute(classifier, TEXTS, TYPES, cfg)
    again = attribute(classifier, TEXTS, TYPES, cfg)
    for text, a, b in zip(TEXTS, first, again, strict=True):
        n_tokens = len(classifier.tokenizer(text)["input_ids"])
        assert a.scores.shape == (n_tokens,) and a.offsets.shape == (n_tokens, 2)
        np.testing.assert_array_equal(a.scores, b.scores)
        assert a.delta == b.delta and a.n_steps == 20


@pytest.mark.parametrize("baseline", ["pad", "mask", "zeros"])
def test_completeness_against_an_independent_forward_pass(classifier: Classifier, baseline: str) -> None:
    """sum(attributions) = f(x) - f(baseline) - delta, with f computed here, not by the code under test."""
    text = TEXTS[0]
    (a,) = attribute(classifier, [text], TYPES[:1], fp32(n_steps=50, baseline=baseline))
    ids, mask, special = _encoded(classifier, text)
    types = torch.tensor([0])
    fx = _logit(classifier, ids, mask, types)
    if baseline == "zeros":
        emb = classifier.model.input_embeddings()(ids) * special.unsqueeze(-1)
        with torch.no_grad():
            fb = float(classifier.model(None, mask, types, inputs_embeds=emb).reshape(-1)[0])
    else:
        fill = classifier.tokenizer.pad_token_id if baseline == "pad" else classifier.tokenizer.mask_token_id
        fb = _logit(classifier, torch.where(special.bool(), ids, torch.full_like(ids, fill)), mask, types)
    assert a.target_value == pytest.approx(fx, abs=1e-5) and a.baseline_value == pytest.approx(fb, abs=1e-5)
    assert abs(a.delta) < TOL
    assert abs(a.scores.sum() - (fx - fb)) < TOL
    assert a.scores.sum() - (fx - fb) == pytest.approx(a.delta, abs=1e-5)


def test_tolerance_catches_a_wrong_baseline(classifier: Classifier) -> None:
    """The pad and mask baselines give logits far apart, so completeness against the wrong one fails.

    (BERT's pad embedding is the zero vector, so the pad and zeros baselines coincide there.)
    """
    text = TEXTS[0]
    (pad,) = attribute(classifier, [text], TYPES[:1], fp32(n_steps=50, baseline="pad"))
    (mask,) = attribute(classifier, [text], TYPES[:1], fp32(n_steps=50, baseline="mask"))
    assert abs(pad.baseline_value - mask.baseline_value) > 10 * TOL
    assert abs(pad.scores.sum() - (mask.target_value - mask.baseline_value)) > 5 * TOL


def test_multiclass_attributes_the_predicted_class(encoder_path: Path) -> None:
    clf = tiny_classifier(encoder_path, num_classes=3, seed=3)
    (a,) = attribute(clf, [TEXTS[1]], TYPES[1:2], fp32(n_steps=50))
    ids, mask, _ = _encoded(clf, TEXTS[1])
    with torch.no_grad():
        logits = clf.model(ids, mask, torch.tensor([1]))[0]
    assert a.target == int(logits.argmax())
    assert a.target_value == pytest.approx(float(logits[a.target]), abs=1e-5)
    assert abs(a.scores.sum() - (a.target_value - a.baseline_value)) < TOL
    # another class's attribution sums to that class's own difference, which is not the predicted one's
    other = (a.target + 1) % 3
    (b,) = attribute(clf, [TEXTS[1]], TYPES[1:2], fp32(n_steps=50), targets=[other])
    assert b.target == other and abs(b.scores.sum() - (b.target_value - b.baseline_value)) < TOL
    assert abs(b.scores.sum() - a.scores.sum()) > 5 * TOL


def test_batched_equals_one_at_a_time(classifier: Classifier) -> None:
    """Padding to the longest of a batch and the internal batch size do not change attributions."""
    cfg_batched = fp32(n_steps=20, batch_size=3, internal_batch_size=16)
    cfg_single = fp32(n_steps=20, batch_size=1)
    batched = attribute(classifier, TEXTS, TYPES, cfg_batched)
    single = attribute(classifier, TEXTS, TYPES, cfg_single)
    for a, b in zip(batched, single, strict=True):
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-5)
        assert a.delta == pytest.approx(b.delta, abs=1e-5)


def test_adaptive_steps_stop_once_under_tolerance(classifier: Classifier) -> None:
    loose = attribute(
        classifier, TEXTS, TYPES, fp32(n_steps=64, adaptive=True, min_steps=8, max_steps=256, delta_tolerance=0.5)
    )
    assert {a.n_steps for a in loose} == {8}
    strict = attribute(
        classifier, TEXTS, TYPES, fp32(n_steps=64, adaptive=True, min_steps=8, max_steps=256, delta_tolerance=1e-12)
    )
    # redone at 64, 128, 256; each keeps its best pass, which is never worse than the first one
    assert {a.n_steps for a in strict} <= {8, 64, 128, 256} and max(a.n_steps for a in strict) > 8
    for first, best in zip(loose, strict, strict=True):
        assert abs(best.delta) <= abs(first.delta)


def test_step_schedule() -> None:
    assert step_schedule(fp32(n_steps=50)) == [50]
    assert step_schedule(fp32(n_steps=50, adaptive=True, min_steps=25, max_steps=200)) == [25, 50, 100, 200]
    assert step_schedule(fp32(n_steps=50, adaptive=True, min_steps=50, max_steps=150)) == [50, 100]
    assert step_schedule(fp32(n_steps=500, adaptive=True, min_steps=25, max_steps=200)) == [25, 500]


def test_adaptive_auto_follows_the_path_precision() -> None:
    auto = ExplainConfig(n_steps=50, adaptive="auto", min_steps=25, max_steps=200)
    assert step_schedule(auto, "bf16") == [25, 50, 100, 200]
    assert step_schedule(auto, "fp32") == [50]
    assert step_schedule(auto.model_copy(update={"adaptive": True}), "fp32") == [25, 50, 100, 200]
    assert step_schedule(auto.model_copy(update={"adaptive": False}), "bf16") == [50]


def test_tolerance_is_relative_to_the_gap_with_a_floor_of_one_logit() -> None:
    cfg = fp32(delta_tolerance=0.02)
    np.testing.assert_allclose(tolerance(cfg, torch.tensor([0.1, -0.5, 3.0, -10.0])), [0.02, 0.02, 0.06, 0.2])


def test_bf16_path_agrees_with_fp32_and_reports_the_delta_against_fp32_endpoints(classifier: Classifier) -> None:
    """The bf16 path: same tokens, attributions close to fp32's, endpoints and delta from the fp32 model."""
    exact = attribute(classifier, TEXTS, TYPES, fp32(n_steps=50))
    fast = attribute(classifier, TEXTS, TYPES, fp32(n_steps=50, precision="bf16"))
    for text, e, f in zip(TEXTS, exact, fast, strict=True):
        assert f.precision == "bf16" and e.precision == "fp32"
        np.testing.assert_array_equal(e.input_ids, f.input_ids)
        # endpoints are the fp32 model's, to the last digit
        assert f.target_value == pytest.approx(e.target_value, abs=1e-6)
        assert f.baseline_value == pytest.approx(e.baseline_value, abs=1e-6)
        # the delta is measured against them
        assert f.scores.sum() - (f.target_value - f.baseline_value) == pytest.approx(f.delta, abs=1e-6)
        # bf16 rounding moves the scores a little, not their story
        scale = np.abs(e.scores).max()
        assert np.abs(f.scores - e.scores).max() < 0.1 * scale, text
        if len(e.scores) > 3:
            assert np.corrcoef(e.scores, f.scores)[0, 1] > 0.95, text


def test_bf16_copy_leaves_the_model_as_it_was(classifier: Classifier) -> None:
    encoder = classifier.model.encoder
    attn = encoder.config._attn_implementation
    attribute(classifier, TEXTS[:1], TYPES[:1], fp32(n_steps=4, precision="bf16"))
    assert all(p.dtype == torch.float32 for p in classifier.model.parameters())
    assert encoder.config._attn_implementation == attn
    copy = path_model(classifier.model, "bf16").encoder
    assert copy is not encoder and next(copy.parameters()).dtype == torch.bfloat16
    assert path_model(classifier.model, "bf16").encoder is copy  # made once per model


def test_auto_precision_follows_the_cpu() -> None:
    assert resolve_precision("auto") == ("bf16" if native_bf16() else "fp32")
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"


def test_weights_get_no_gradients_and_are_restored(classifier: Classifier) -> None:
    before = [p.requires_grad for p in classifier.model.parameters()]
    attribute(classifier, TEXTS[:1], TYPES[:1], fp32(n_steps=4))
    assert [p.requires_grad for p in classifier.model.parameters()] == before
    assert all(p.grad is None for p in classifier.model.parameters())


def test_hybrid_extra_block_passes_through_as_a_constant(classifier: Classifier) -> None:
    """A head reading an extra block: its contribution is in f(x) and f(baseline) alike, so not attributed."""
    head = classifier.model.head
    original = head.forward

    def hybrid(pooled: torch.Tensor, type_ids: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        assert extra is not None and extra.shape[-1] == 2
        return original(pooled, type_ids) + extra.sum(-1)

    head.forward = hybrid  # type: ignore[method-assign]
    try:
        extra = torch.tensor([[1.0, 2.0], [-3.0, 0.5], [0.0, 0.0]])
        with_extra = attribute(classifier, TEXTS, TYPES, fp32(n_steps=20), extra=extra)
    finally:
        head.forward = original  # type: ignore[method-assign]
    plain = attribute(classifier, TEXTS, TYPES, fp32(n_steps=20))
    for a, b, e in zip(with_extra, plain, extra.sum(-1).tolist(), strict=True):
        assert a.target_value == pytest.approx(b.target_value + e, abs=1e-5)
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-5)


def test_albert_encoder_with_a_smaller_embedding(tiny_albert_path: Path) -> None:
    """Any local HF encoder: ALBERT's embeddings (16) are narrower than its hidden size."""
    from transformers import AutoModel, AutoTokenizer

    from deep_classiflie.model.classifier import FactClassifier
    from deep_classiflie.model.head import ClassifierHead, HeadConfig

    encoder = AutoModel.from_pretrained(str(tiny_albert_path))
    cfg = HeadConfig(input_dim=encoder.config.hidden_size, hidden_dim=8, max_length=32)
    torch.manual_seed(0)
    clf = Classifier(
        model=FactClassifier(encoder, ClassifierHead(cfg)).eval(),
        tokenizer=AutoTokenizer.from_pretrained(str(tiny_albert_path)),
        head_config=cfg,
        folder=tiny_albert_path,
        encoder_path=tiny_albert_path,
    )
    (a,) = attribute(clf, [TEXTS[0]], TYPES[:1], fp32(n_steps=50))
    assert abs(a.scores.sum() - (a.target_value - a.baseline_value)) < TOL


def test_a_missing_mask_token_is_a_clear_error(classifier: Classifier) -> None:
    class NoMask:
        pad_token_id, mask_token_id = 0, None

    ids = torch.tensor([[2, 10, 3]])
    with pytest.raises(ModelError, match="no mask token"):
        baseline_ids(ids, torch.tensor([[1, 0, 1]]), "mask", NoMask())
    assert baseline_ids(ids, torch.tensor([[1, 0, 1]]), "pad", NoMask()).tolist() == [[2, 0, 3]]


def test_truncated_statement_scores_only_what_the_model_saw(encoder_path: Path) -> None:
    clf = tiny_classifier(encoder_path, max_length=8)
    (a,) = attribute(clf, ["the wall " * 20], TYPES[:1], fp32(n_steps=8))
    assert a.scores.shape == (8,)


@pytest.mark.parametrize(
    ("lengths", "batch_size", "expected"),
    [
        ([5, 3, 9, 3], 2, [[1, 3], [0], [2]]),  # 5 and 9 together would be 29% padding
        ([10, 10, 10, 10, 10], 2, [[0, 1], [2, 3], [4]]),
        ([20, 21, 22, 40], 8, [[0, 1, 2], [3]]),
        ([], 4, []),
    ],
    ids=["padding-bound", "size-bound", "long-one-alone", "empty"],
)
def test_length_batches(lengths: list[int], batch_size: int, expected: list[list[int]]) -> None:
    from deep_classiflie.explain.attribution import length_batches

    assert length_batches(lengths, batch_size) == expected
