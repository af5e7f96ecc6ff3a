"""Typed job configuration, validated once.

Layers, later wins: ``configs/defaults.yaml`` ← the job YAML ← ``--set key.sub=value``.
Unknown keys are errors that name the closest valid key; wrong types name the expected type.
Deployment settings and secrets (DB URL, API tokens) are *not* here: see ``settings.py``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from deep_classiflie.core.errors import ConfigError

DEFAULTS_PATH = Path(__file__).resolve().parents[2] / "configs" / "defaults.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PathsConfig(_Strict):
    """Where data comes from and where the platform writes."""

    shared_data: Path = Path("../shared/data")
    data_dir: Path = Path(".dc")
    runs_dir: Path = Path("runs")


class NormaliseConfig(_Strict):
    """Text cleaning rules (the original's, each switchable)."""

    unescape_html: bool = True
    strip_urls: bool = True
    strip_mentions: bool = False
    strip_brackets: bool = True
    normalise_quotes: bool = True
    normalise_dashes: bool = True
    collapse_whitespace: bool = True


class TweetsConfig(_Strict):
    """Tweet stream handling."""

    stitch_threads: bool = True
    stitch_latency_s: int = Field(900, ge=0)
    exclude_retweets: bool = True


class TranscriptsConfig(_Strict):
    """Transcript splitting into statements."""

    speaker_labels: list[str] = ["DONALD TRUMP", "TRUMP", "THE PRESIDENT", "PRESIDENT TRUMP"]
    min_words: int = Field(7, ge=1)
    max_words: int = Field(107, ge=1)


class IngestConfig(_Strict):
    """What ``ingest`` reads and how."""

    sources: list[str] = ["toronto_star", "cnn", "tweets"]
    batch_size: int = Field(5000, ge=1)
    speaker: str = "Donald Trump"
    normalise: NormaliseConfig = NormaliseConfig()
    tweets: TweetsConfig = TweetsConfig()
    transcripts: TranscriptsConfig = TranscriptsConfig()


class DatasetConfig(_Strict):
    """How ``build-dataset`` turns the store into a labelled, split dataset."""

    task: Literal["falsehood_binary"] = "falsehood_binary"
    name: str = "trump_falsehoods"
    min_words: int = Field(7, ge=1)
    max_words: int = Field(107, ge=1)
    truth_stream_types: list[str] = ["tweet"]
    splits: tuple[float, float, float] = (0.8, 0.1, 0.1)
    balance: Literal["oversample", "class_weight", "none"] = "oversample"
    max_truths_per_falsehood: float = Field(3.0, gt=0)
    seed: int = 42

    @model_validator(mode="after")
    def _check(self) -> DatasetConfig:
        if abs(sum(self.splits) - 1.0) > 1e-6 or min(self.splits) <= 0:
            raise ValueError(f"splits must be three positive fractions summing to 1, got {self.splits}")
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) must not exceed max_words ({self.max_words})")
        return self


class EncoderConfig(_Strict):
    """The transformer encoder: a local HF folder, or the offline MiniLM package when ``path`` is null."""

    path: Path | None = None
    max_length: int = Field(128, ge=8, le=512)
    batch_size: int = Field(64, ge=1)
    pooling: Literal["mean", "cls"] = "mean"


class HeadTrainConfig(_Strict):
    """Classification head (the original's: pooled + statement-type embedding → LN → FC+ReLU → out)."""

    type_embedding_dim: int = Field(8, ge=1)
    hidden_dim: int = Field(256, ge=1)
    dropout: float = Field(0.1, ge=0, lt=1)
    label_smoothing: float = Field(0.17, ge=0, lt=0.5)
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    epochs: int = Field(30, ge=1)
    batch_size: int = Field(128, ge=1)
    patience: int = Field(5, ge=1)
    seed: int = 42


class EvaluateConfig(_Strict):
    """Evaluation options."""

    split: Literal["train", "val", "test"] = "test"
    threshold: float = Field(0.5, gt=0, lt=1)


class Config(_Strict):
    """The whole resolved job configuration."""

    job: Literal["demo", "ingest", "build-dataset", "train", "evaluate", "predict", "db-upgrade"] = "demo"
    paths: PathsConfig = PathsConfig()
    ingest: IngestConfig = IngestConfig()
    dataset: DatasetConfig = DatasetConfig()
    encoder: EncoderConfig = EncoderConfig()
    train: HeadTrainConfig = HeadTrainConfig()
    evaluate: EvaluateConfig = EvaluateConfig()


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
