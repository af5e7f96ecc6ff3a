"""The search space as data: sample a trial's values and lay them over the job's config (pure functions)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Protocol

from deep_classiflie.config import Config
from deep_classiflie.config.loader import validate_config
from deep_classiflie.config.tune import ParamSpec
from deep_classiflie.core.errors import ConfigError


class Suggester(Protocol):
    """The part of ``optuna.Trial`` the space needs (a fake in tests)."""

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """A float in [low, high]."""
        ...

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        """An int in [low, high]."""
        ...

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        """One of ``choices``."""
        ...


def suggest(trial: Suggester, space: Mapping[str, ParamSpec]) -> dict[str, Any]:
    """One value per searched key, drawn by ``trial`` (sorted by key, so the draw order is stable)."""
    values: dict[str, Any] = {}
    for key in sorted(space):
        spec = space[key]
        if spec.type == "categorical":
            values[key] = trial.suggest_categorical(key, list(spec.choices or []))
        elif spec.type == "int":
            step = int(spec.step) if spec.step else 1
            values[key] = trial.suggest_int(key, int(spec.low or 0), int(spec.high or 0), step=step, log=spec.log)
        else:
            values[key] = trial.suggest_float(
                key, float(spec.low or 0), float(spec.high or 0), step=spec.step, log=spec.log
            )
    return values


def set_dotted(data: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with ``a.b.c`` set to ``value`` (intermediate mappings created)."""
    out = copy.deepcopy(data)
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value
    return out


def apply(config: Config, values: Mapping[str, Any]) -> Config:
    """``config`` with the trial's values set, validated again (a key that does not exist is a ConfigError)."""
    data = config.model_dump(mode="json")
    for key, value in values.items():
        data = set_dotted(data, key, value)
    return validate_config(data, origin="tune.space")


def check_space(config: Config, space: Mapping[str, ParamSpec]) -> None:
    """Fail before the first trial when a searched key is not a config key or its range does not validate."""
    if not space:
        raise ConfigError(
            "tune.space is empty: nothing to search",
            hint="list the keys to search under tune.space (see configs/tune_falsehood_binary.yaml)",
        )
    for key, spec in space.items():
        if key.startswith("tune.") or key == "job":
            raise ConfigError(f"tune.space key {key!r} cannot be searched", hint="search train/encoder/dataset keys")
        probes = list(spec.choices or []) if spec.type == "categorical" else [spec.low, spec.high]
        for probe in probes:
            value = int(probe) if spec.type == "int" and probe is not None else probe
            try:
                apply(config, {key: value})
            except ConfigError as exc:
                raise ConfigError(
                    f"tune.space key {key!r} with value {value!r}: {exc.message}", hint=exc.hint
                ) from None


def nested(values: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys → a nested mapping (the best trial's overrides, as a job YAML holds them)."""
    out: dict[str, Any] = {}
    for key in sorted(values):
        out = set_dotted(out, key, values[key])
    return out
