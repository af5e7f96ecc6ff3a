"""Layered config: defaults ← job YAML ← overrides, validated once with helpful errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from deep_classiflie.config import Config, dump_config, load_config
from deep_classiflie.config.loader import deep_merge, parse_override, read_yaml
from deep_classiflie.core.errors import ConfigError


def test_defaults_load_and_validate() -> None:
    config = load_config()
    assert isinstance(config, Config)
    assert config.dataset.splits == (0.8, 0.1, 0.1)


def test_job_yaml_then_overrides_win(tmp_path: Path) -> None:
    job = tmp_path / "job.yaml"
    job.write_text("train:\n  epochs: 7\n  lr: 0.01\n", encoding="utf-8")
    config = load_config(job, ["train.epochs=3", "dataset.name=x"])
    assert (config.train.epochs, config.train.lr, config.dataset.name) == (3, 0.01, "x")


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("dataset.splitz=1", "unknown key 'dataset.splitz' did you mean 'dataset.splits'?"),
        ("trian.epochs=1", "unknown key 'trian' did you mean 'train'?"),
        ("ingest.tweets.stich=1", "did you mean 'ingest.tweets.stitch_threads'?"),
    ],
    ids=["nested-typo", "section-typo", "deep-typo"],
)
def test_unknown_key_names_closest_valid_key(override: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, [override])
    assert expected in str(info.value)


def test_wrong_type_names_expected_type() -> None:
    with pytest.raises(ConfigError, match=r"'train.epochs': Input should be a valid integer.*got 'many'"):
        load_config(None, ["train.epochs=many"])


def test_cross_field_rule_is_checked() -> None:
    with pytest.raises(ConfigError, match="splits must be three positive fractions summing to 1"):
        load_config(None, ["dataset.splits=[0.5,0.5,0.5]"])


def test_bad_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_yaml(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_yaml(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        read_yaml(listy)


def test_override_parsing() -> None:
    assert parse_override("a.b.c=3") == {"a": {"b": {"c": 3}}}
    assert parse_override("a=[1, 2]") == {"a": [1, 2]}
    assert parse_override("a=true") == {"a": True}
    with pytest.raises(ConfigError, match="has no '='"):
        parse_override("a.b")


def test_deep_merge_keeps_siblings() -> None:
    assert deep_merge({"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"y": 3}}) == {"a": {"x": 1, "y": 3}, "b": 1}


def test_resolved_config_round_trips(tmp_path: Path) -> None:
    config = load_config(None, ["train.epochs=4"])
    path = dump_config(config, tmp_path / "run" / "config.yaml")
    again = load_config(path, defaults_path=None)
    assert again == config
