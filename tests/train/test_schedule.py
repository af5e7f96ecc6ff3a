"""Thaw schedules: parsing, resolution against real parameter names, tables of trainable parameters per phase."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from deep_classiflie.core.errors import ConfigError, ModelError
from deep_classiflie.model.classifier import build_model
from deep_classiflie.model.head import HeadConfig
from deep_classiflie.train.schedule import (
    apply_phase,
    default_schedule,
    load_schedule,
    parse_schedule,
    resolve_schedule,
    schedule_to_yaml,
)

SCHEDULES = Path(__file__).resolve().parents[2] / "configs" / "schedules"
HEAD = 7  # type_embedding, norm.w/b, fc.w/b, classifier.w/b

# Expected number of trainable parameter tensors per phase (cumulative) for the tiny encoders.
# tiny BERT: 2 layers x 16 tensors + 5 embedding tensors + 2 pooler; FFN output = 4 per layer.
# tiny ALBERT: one shared layer: embeddings 5, mapping 2, attention 10, ffn 2, ffn_output 2, full LN 2, pooler 2.
EXPECTED = {
    "bert_minilm.yaml": [HEAD, HEAD + 2, HEAD + 2 + 8, HEAD + 2 + 32 + 5],
    "bert_minilm_cpu.yaml": [HEAD, HEAD + 2 + 8, HEAD + 2 + 32 + 5],
    "albert_base.yaml": [HEAD, HEAD + 2, HEAD + 2 + 4, HEAD + 2 + 4 + 5 + 2 + 10 + 2],
}


def _model(path: Path):
    model, _ = build_model(path, HeadConfig(input_dim=32, hidden_dim=8))
    return model


@pytest.mark.parametrize(
    "schedule", ["bert_minilm.yaml", "bert_minilm_cpu.yaml", "albert_base.yaml"], ids=["minilm", "minilm-cpu", "albert"]
)
def test_shipped_schedules_thaw_the_expected_parameters(
    schedule: str, tiny_encoder_path: Path, tiny_albert_path: Path
) -> None:
    model = _model(tiny_albert_path if "albert" in schedule else tiny_encoder_path)
    names = [n for n, _ in model.named_parameters()]
    phases = load_schedule(SCHEDULES / schedule)
    resolved = resolve_schedule(phases, names)
    counts = [len(apply_phase(model, resolved, p)) for p in range(len(phases))]
    assert counts == EXPECTED[schedule]
    assert counts[-1] == len(names)  # the last phase trains everything
    assert apply_phase(model, resolved, 1)[-2:] == [n for n in names if n.startswith("head.")][-2:]


def test_mismatch_names_the_patterns_that_matched_nothing(tiny_encoder_path: Path) -> None:
    names = [n for n, _ in _model(tiny_encoder_path).named_parameters()]
    with pytest.raises(ModelError) as err:
        resolve_schedule(load_schedule(SCHEDULES / "albert_base.yaml"), names, source="albert_base.yaml")
    text = str(err.value)
    assert "albert_base.yaml does not fit this encoder" in text
    assert "phase 2: 'encoder\\\\.encoder\\\\.albert_layer_groups" in text
    assert "phase 0" not in text  # the head pattern matched
    assert "schedule write --encoder" in text


def test_a_parameter_in_two_phases_is_an_error() -> None:
    phases = parse_schedule({0: {"params": ["head\\..*"]}, 1: {"params": ["head\\.fc\\.weight"]}})
    with pytest.raises(ModelError, match="listed in phases 0 and 1"):
        resolve_schedule(phases, ["head.fc.weight", "head.fc.bias"])


@pytest.mark.parametrize(
    "data,message",
    [
        ({1: {"params": ["x"]}}, "without gaps"),
        ({0: {"params": []}}, "non-empty 'params'"),
        ({0: {"params": ["x"], "lrr": 1}}, "unknown keys"),
        (
            {0: {"params": ["x"], "max_transition_epoch": 4}, 1: {"params": ["y"], "max_transition_epoch": 2}},
            "must not decrease",
        ),
    ],
    ids=["gap", "empty", "typo", "decreasing"],
)
def test_invalid_schedules_are_config_errors(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_schedule(data)


def test_default_schedule_round_trips_and_covers_every_parameter(tiny_encoder_path: Path) -> None:
    names = [n for n, _ in _model(tiny_encoder_path).named_parameters()]
    phases = default_schedule(names)
    assert len(phases) == 4
    again = parse_schedule(yaml.safe_load(schedule_to_yaml(phases)))
    assert again == phases
    resolved = resolve_schedule(again, names)
    assert sorted(n for group in resolved for n in group) == sorted(names)
