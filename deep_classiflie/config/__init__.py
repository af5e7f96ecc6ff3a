"""Typed job configuration: defaults.yaml ← job YAML ← --set overrides, validated once."""

from deep_classiflie.config.loader import dump_config, load_config, validate_config
from deep_classiflie.config.models import Config

__all__ = ["Config", "dump_config", "load_config", "validate_config"]
