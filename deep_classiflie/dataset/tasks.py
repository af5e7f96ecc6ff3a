"""Task definitions: YAML data in ``configs/tasks/`` saying which labels make which classes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from deep_classiflie.config.base import Strict
from deep_classiflie.config.dataset import DatasetConfig
from deep_classiflie.config.loader import read_yaml
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.core.resources import configs_dir

TASKS_DIR = configs_dir() / "tasks"


class TaskSpec(Strict):
    """One task.

    ``falsehood_binary``: falsehoods are the speaker's statements labelled by ``rating_sources``;
    truths are the speaker's unlabelled statements (the original Deep Classiflie set-up).
    ``labelled``: every statement of ``sources`` with a label of ``rating_sources`` is a member;
    its class is ``label_map[source_label]`` (or the stored ``label_class`` without a map).
    """

    kind: Literal["falsehood_binary", "labelled"]
    description: str = ""
    classes: list[str] = Field(min_length=2)
    sources: list[str] = []  # statement sources (sources.name); empty: any
    rating_sources: list[str] = []  # fact_check_labels.rating_source; empty: any
    speaker: str | None = None
    label_map: dict[str, int] | None = None
    # chronological: by the falsehoods' dates; given: meta["given_split"] where present, the rest
    # stratified; stratified: seeded, stratified by class.
    split: Literal["chronological", "given", "stratified"] = "stratified"
    given_split_map: dict[str, str] = {"train": "train", "valid": "val", "val": "val", "test": "test"}
    meta_features: list[str] = []  # categorical keys of statements.meta, one-hot encoded
    credit_history_key: str | None = None  # numeric list/dict in meta; leaks the label, off by default
    # Metadata keys written in front of the statement (see meta_text): the encoder reads them as text, so
    # the model folder still predicts from one string. [] for text only.
    text_meta: list[str] = []
    # What a hybrid head reads besides the encoder's vector: TF-IDF of the text, the meta_features one-hots
    # (train.hybrid.features overrides it). [] for the encoder's vector only.
    head_features: list[Literal["tfidf", "meta"]] = ["tfidf", "meta"]

    @model_validator(mode="after")
    def _check(self) -> TaskSpec:
        n = len(self.classes)
        bad = {k: v for k, v in (self.label_map or {}).items() if not 0 <= v < n}
        if bad:
            raise ValueError(f"label_map values must be class ids 0..{n - 1}, got {bad}")
        if self.kind == "falsehood_binary" and (n != 2 or not self.rating_sources):
            raise ValueError("a falsehood_binary task has two classes and names its rating_sources")
        return self


def meta_text(text: str, meta: Mapping[str, Any], keys: Sequence[str]) -> str:
    """``text`` behind the values of ``meta[keys]``, e.g. ``speaker: barack obama; party: democrat. <text>``.

    Slugs read as words (``job-accomplishments`` → ``job accomplishments``, ``a,b`` → ``a, b``); keys with
    no value are left out, so a statement without metadata stays as it was.
    """
    parts = []
    for key in keys:
        value = str(meta.get(key) or "").strip()
        if value:
            value = value.replace("-", " ").replace(",", ", ")
            parts.append(f"{key.replace('_', ' ')}: {value}")
    return f"{'; '.join(parts)}. {text}" if parts else text


def task_path(name: str, tasks_dir: Path = TASKS_DIR) -> Path:
    """The file of task ``name``: a path to a YAML file, or ``<tasks_dir>/<name>.yaml``."""
    as_path = Path(name)
    if as_path.suffix in (".yaml", ".yml"):
        return as_path
    return tasks_dir / f"{name}.yaml"


def load_task(config: DatasetConfig, tasks_dir: Path = TASKS_DIR) -> TaskSpec:
    """Read the task definition named by ``config.task`` and apply the config's overrides."""
    path = task_path(config.task, tasks_dir)
    if not path.is_file():
        known = sorted(p.stem for p in tasks_dir.glob("*.yaml")) if tasks_dir.is_dir() else []
        raise ConfigError(
            f"task {config.task!r} has no definition at {path}",
            hint=f"set dataset.task to one of {', '.join(known) or '(none found)'} or to a task YAML path",
        )
    data = read_yaml(path)
    if config.label_map is not None:
        data["label_map"] = config.label_map
    if config.meta_features is not None:
        data["meta_features"] = config.meta_features
    if not config.use_credit_history:
        data["credit_history_key"] = None
    try:
        return TaskSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid task definition {path}: {exc}", hint="fix the task YAML") from None
