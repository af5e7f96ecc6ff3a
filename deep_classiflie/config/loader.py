"""Typed job configuration, validated once.

Layers, later wins: ``configs/defaults.yaml`` ← the job YAML ← ``--set key.sub=value``.
Unknown keys are errors that name the closest valid key; wrong types name the expected type.
Deployment settings and secrets (DB URL, API tokens) are *not* here: see ``settings.py``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from deep_classiflie.config.models import Config
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.core.resources import configs_dir

DEFAULTS_PATH = configs_dir() / "defaults.yaml"


# ---------------------------------------------------------------- loading


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated recursively by ``over`` (mappings merge, everything else replaces)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_override(text: str) -> dict[str, Any]:
    """Turn ``a.b=value`` into ``{"a": {"b": value}}``; the value is parsed as YAML (``3``, ``true``, ``[1,2]``)."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} has no '='", hint="write it as --set section.key=value")
    dotted, raw = text.split("=", 1)
    keys = [k for k in dotted.strip().split(".") if k]
    if not keys:
        raise ConfigError(f"override {text!r} names no key", hint="write it as --set section.key=value")
    try:
        value: Any = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    node: dict[str, Any] = {keys[-1]: value}
    for key in reversed(keys[:-1]):
        node = {key: node}
    return node


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML mapping, with errors that name the file."""
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist", hint="check the path given to --config")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}", hint="make it a readable UTF-8 file") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}", hint="fix the YAML syntax") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top", hint="write key: value pairs")
    return data


def load_config(
    job_path: Path | None = None,
    overrides: list[str] | None = None,
    *,
    defaults_path: Path | None = DEFAULTS_PATH,
) -> Config:
    """Layer defaults ← job YAML ← overrides and validate the result once."""
    data: dict[str, Any] = {}
    if defaults_path is not None and defaults_path.is_file():
        data = read_yaml(defaults_path)
    if job_path is not None:
        data = deep_merge(data, read_yaml(job_path))
    for item in overrides or []:
        data = deep_merge(data, parse_override(item))
    return validate_config(data, origin=str(job_path) if job_path else "defaults")


def validate_config(data: dict[str, Any], *, origin: str = "config") -> Config:
    """Validate a raw mapping into :class:`Config`, turning pydantic errors into one clear ConfigError."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration ({origin}): {describe_errors(exc)}") from None


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Names of the valid keys of the model that holds ``loc`` (the last element is the bad key)."""
    model: Any = Config
    for part in loc[:-1]:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = field.annotation
    return list(getattr(model, "model_fields", {}).keys())


def describe_errors(exc: ValidationError) -> str:
    """One readable sentence per validation error, with the closest valid key for typos."""
    parts: list[str] = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        dotted = ".".join(str(p) for p in loc) or "<top>"
        if err["type"] == "extra_forbidden":
            valid = _fields_at(loc)
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
            suggestion = f"did you mean '{'.'.join([*map(str, loc[:-1]), close[0]])}'?" if close else ""
            parts.append(
                f"unknown key '{dotted}' {suggestion} (valid keys here: {', '.join(valid)})".replace("  ", " ")
            )
        else:
            got = err.get("input")
            shown = repr(got) if not isinstance(got, dict) else "a mapping"
            parts.append(f"'{dotted}': {err['msg']} (got {shown})")
    return "; ".join(parts)


def dump_config(config: Config, path: Path) -> Path:
    """Write the resolved config as YAML next to a run's outputs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    return path
