"""Where the shipped configuration lives: the repository's ``configs/``, or the wheel's bundled copy."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_SOURCE_CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@cache
def configs_dir() -> Path:
    """``configs/`` of the source tree when run from a checkout, else ``deep_classiflie/bundled_configs``."""
    if (_SOURCE_CONFIGS / "defaults.yaml").is_file():
        return _SOURCE_CONFIGS
    return Path(__file__).resolve().parents[1] / "bundled_configs"
