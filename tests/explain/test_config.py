"""The explain config section: defaults.yaml agrees with the class, and bad values are errors."""

from __future__ import annotations

import pytest

from deep_classiflie.config import load_config
from deep_classiflie.config.explain import ExplainConfig
from deep_classiflie.core.errors import ConfigError


def test_defaults_yaml_matches_the_section() -> None:
    assert load_config(None, []).explain == ExplainConfig()


@pytest.mark.parametrize(
    "override", ["explain.n_step=10", "explain.baseline=unk", "explain.n_steps=1", "explain.normalisation=l2"]
)
def test_bad_explain_settings_are_config_errors(override: str) -> None:
    with pytest.raises(ConfigError):
        load_config(None, [override])
