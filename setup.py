"""Only what pyproject.toml cannot say: the top-level ``configs/`` folder ships inside the wheel.

``configs/`` (defaults, job YAMLs, task definitions, thaw schedules) stays at the top of the repository where
users edit it; a non-editable install carries a copy as the package ``deep_classiflie.bundled_configs``, which
``deep_classiflie.core.resources.configs_dir`` falls back to when there is no source tree.
"""

from pathlib import Path

from setuptools import find_packages, setup

CONFIG_PACKAGES = {
    "deep_classiflie.bundled_configs" + "".join("." + p for p in d.relative_to("configs").parts): str(d)
    for d in [Path("configs"), *sorted(p for p in Path("configs").rglob("*") if p.is_dir())]
}

setup(
    packages=[
        *find_packages(include=["deep_classiflie", "deep_classiflie.*", "deep_classiflie_db*"]),
        *CONFIG_PACKAGES,
    ],
    package_dir=CONFIG_PACKAGES,
)
