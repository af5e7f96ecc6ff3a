"""Thaw schedules as YAML data, in finetuning-scheduler's explicit schedule format.

    0:                        # phase 0: trained from the start
      params: ['head\\..*']   # parameter names or regexes (full match) of the ``FactClassifier``
    1:
      params: ['encoder\\.pooler\\..*']
      lr: 1.0e-05             # optional: this phase's parameters get their own lr (default: base lr)
      max_transition_epoch: 3 # optional: move on at this epoch at the latest (early stopping may move sooner)

Phases are cumulative: phase *p* trains everything listed in phases 0..p. A parameter may appear in one
phase only; parameters in no phase stay frozen. Everything here is pure: names in, names out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from torch import nn

from deep_classiflie.core.errors import ConfigError, ModelError

_PHASE_KEYS = {"params", "lr", "max_transition_epoch"}


@dataclass(frozen=True)
class ThawPhase:
    """One phase: which parameters it thaws, at which lr, and when it ends at the latest."""

    params: tuple[str, ...]
    lr: float | None = None
    max_transition_epoch: int | None = None


def parse_schedule(data: Any, *, source: str = "schedule") -> list[ThawPhase]:
    """Validate the YAML mapping ``phase int → {params, lr?, max_transition_epoch?}``."""
    if not isinstance(data, dict) or not data:
        raise ConfigError(
            f"{source} must be a non-empty mapping of phase number → phase", hint="see configs/schedules/"
        )
    keys = sorted(data)
    if keys != list(range(len(keys))):
        raise ConfigError(f"{source} phases must be 0, 1, 2 … without gaps, got {keys}", hint="renumber the phases")
    phases = []
    for key in keys:
        spec = data[key]
        if not isinstance(spec, dict) or not spec.get("params"):
            raise ConfigError(f"{source} phase {key} needs a non-empty 'params' list", hint="list names or regexes")
        unknown = set(spec) - _PHASE_KEYS
        if unknown:
            raise ConfigError(
                f"{source} phase {key} has unknown keys {sorted(unknown)}", hint=f"allowed: {sorted(_PHASE_KEYS)}"
            )
        lr, mte = spec.get("lr"), spec.get("max_transition_epoch")
        phases.append(
            ThawPhase(
                params=tuple(str(p) for p in spec["params"]),
                lr=None if lr is None else float(lr),
                max_transition_epoch=None if mte is None else int(mte),
            )
        )
    bounds = [p.max_transition_epoch for p in phases if p.max_transition_epoch is not None]
    if bounds != sorted(bounds):
        raise ConfigError(
            f"{source}: max_transition_epoch must not decrease across phases, got {bounds}", hint="fix the epochs"
        )
    return phases


def load_schedule(path: Path) -> list[ThawPhase]:
    """Read and validate a schedule YAML file."""
    if not Path(path).is_file():
        raise ConfigError(
            f"thaw schedule {path} does not exist", hint="run `deep-classiflie schedule write --encoder PATH`"
        )
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"thaw schedule {path} is not valid YAML: {exc}", hint="fix the YAML syntax") from exc
    return parse_schedule(data, source=f"thaw schedule {path}")


def schedule_to_yaml(phases: list[ThawPhase]) -> str:
    """The YAML text of a schedule (finetuning-scheduler's explicit format)."""
    data: dict[int, dict[str, Any]] = {}
    for i, phase in enumerate(phases):
        spec: dict[str, Any] = {"params": list(phase.params)}
        if phase.lr is not None:
            spec["lr"] = phase.lr
        if phase.max_transition_epoch is not None:
            spec["max_transition_epoch"] = phase.max_transition_epoch
        data[i] = spec
    return yaml.safe_dump(data, sort_keys=False)


def _matches(pattern: str, names: Iterable[str]) -> list[str]:
    names = list(names)
    if pattern in names:
        return [pattern]
    try:
        rx = re.compile(pattern)
    except re.error:
        return []
    return [n for n in names if rx.fullmatch(n)]


def resolve_schedule(phases: list[ThawPhase], param_names: list[str], *, source: str = "schedule") -> list[list[str]]:
    """Parameter names thawed by each phase, in model order.

    1. Match each pattern (exact name first, else a full-match regex) against all parameter names.
    2. Collect the patterns that matched nothing: any → ``ModelError`` naming them (encoder/schedule mismatch).
    3. A parameter claimed by two phases → ``ModelError`` (finetuning-scheduler forbids it too).
    """
    unmatched: list[str] = []
    owner: dict[str, int] = {}
    resolved: list[list[str]] = []
    for i, phase in enumerate(phases):
        chosen: set[str] = set()
        for pattern in phase.params:
            hits = _matches(pattern, param_names)
            if not hits:
                unmatched.append(f"phase {i}: {pattern!r}")
            chosen.update(hits)
        for name in sorted(chosen):
            if name in owner and owner[name] != i:
                raise ModelError(
                    f"{source}: parameter {name!r} is listed in phases {owner[name]} and {i}",
                    hint="list each parameter in one phase only (phases are cumulative)",
                )
            owner[name] = i
        resolved.append([n for n in param_names if n in chosen])
    if unmatched:
        example = (
            ", ".join([*param_names[:3], "…", *param_names[-3:]]) if len(param_names) > 6 else ", ".join(param_names)
        )
        raise ModelError(
            f"{source} does not fit this encoder: these patterns match no parameter: {'; '.join(unmatched)}",
            hint=f"the model's parameters are named like {example}; "
            "generate a fitting schedule with `deep-classiflie schedule write --encoder PATH`",
        )
    return resolved


def apply_phase(model: nn.Module, resolved: list[list[str]], phase: int) -> list[str]:
    """Freeze everything, then thaw the parameters of phases 0..``phase``; returns the trainable names."""
    thawed = {n for names in resolved[: phase + 1] for n in names}
    for name, param in model.named_parameters():
        param.requires_grad_(name in thawed)
    return [n for n, p in model.named_parameters() if p.requires_grad]


# ---------------------------------------------------------------- default schedules for any encoder

# Sub-layers that produce a transformer block's FFN output, across HF architectures.
_FFN_OUTPUT = re.compile(
    r".*(ffn_output|(?<!attention\.)output\.dense|(?<!attention\.)output\.LayerNorm|full_layer_layer_norm"
    r"|ffn\.lin2|output_layer_norm|mlp\.fc2|mlp\.down_proj)\.(weight|bias)$"
)


def default_schedule(param_names: list[str], *, base_lr: float = 1e-5, epochs_per_phase: int = 3) -> list[ThawPhase]:
    """The original's four phases for any encoder: head → pooler → FFN outputs → everything else.

    Names are written out explicitly (like finetuning-scheduler's generated schedules); a phase whose
    group is empty for this architecture (e.g. no pooler) is skipped.
    """
    head = [n for n in param_names if n.startswith("head.")]
    pooler = [n for n in param_names if n.startswith("encoder.") and ".pooler." in f".{n}"]
    ffn = [n for n in param_names if n.startswith("encoder.") and n not in pooler and _FFN_OUTPUT.match(n)]
    rest = [n for n in param_names if n not in set(head) | set(pooler) | set(ffn)]
    groups = [g for g in (head, pooler, ffn, rest) if g]
    phases = []
    for i, names in enumerate(groups):
        last = i == len(groups) - 1
        phases.append(
            ThawPhase(
                params=tuple(names),
                lr=None if i == 0 else base_lr,
                max_transition_epoch=None if last else epochs_per_phase * (i + 1),
            )
        )
    return phases
