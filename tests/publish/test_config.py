"""The publish section: defaults.yaml says what the code defaults to, bad values are rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from deep_classiflie.config import load_config
from deep_classiflie.config.publish import PublishConfig

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_yaml_matches_the_section() -> None:
    written = yaml.safe_load((ROOT / "configs" / "defaults.yaml").read_text(encoding="utf-8"))["publish"]
    assert PublishConfig.model_validate(written) == PublishConfig()
    assert set(written) == set(PublishConfig.model_fields)  # every option is listed (and documented there)


def test_the_job_yaml_loads() -> None:
    cfg = load_config(ROOT / "configs" / "publish.yaml", [])
    assert cfg.job == "publish" and cfg.publish.feed_size == 5000


@pytest.mark.parametrize(
    "bad",
    [{"sinks": []}, {"sinks": ["file", "file"]}, {"sinks": ["s3"]}, {"feed_size": 0}, {"source_kinds": ["x"]},
     {"ipfs": {"attempts": 0}}, {"feed_sise": 10}],
    ids=["no-sink", "twice", "unknown-sink", "empty-feed", "unknown-kind", "no-attempts", "misspelt-key"],
)  # fmt: skip
def test_bad_values_are_rejected(bad: dict) -> None:
    with pytest.raises(ValidationError):
        PublishConfig.model_validate(bad)
