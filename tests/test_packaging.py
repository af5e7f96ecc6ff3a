"""Release hygiene: one version, and a wheel that carries configs, templates and migrations."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import deep_classiflie
from deep_classiflie.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_written_once_and_printed(capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject and not re.search(r"^version\s*=\s*\"", pyproject, re.M)
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"deep-classiflie {deep_classiflie.__version__}"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {deep_classiflie.__version__}" in changelog  # every release has its entry


@pytest.mark.slow
def test_wheel_carries_configs_templates_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("deep_classiflie-*.whl")
    assert deep_classiflie.__version__ in wheel.name
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        "deep_classiflie/bundled_configs/defaults.yaml",
        "deep_classiflie/bundled_configs/demo.yaml",
        "deep_classiflie/evaluate/templates/model_card.md.j2",
        "deep_classiflie_db/migrations/env.py",
    }
    shipped |= {
        f"deep_classiflie/bundled_configs/{p.relative_to(ROOT / 'configs')}" for p in (ROOT / "configs").rglob("*.yaml")
    }
    shipped |= {
        f"deep_classiflie_db/migrations/versions/{p.name}"
        for p in (ROOT / "deep_classiflie_db/migrations/versions").glob("0*.py")
    }
    for pattern in ("*/templates/**/*", "*/static/**/*", "viz/site/**/*"):  # templates, assets, site sources
        for path in (ROOT / "deep_classiflie").glob(pattern):
            if path.is_file() and "__pycache__" not in path.parts:
                shipped.add(str(path.relative_to(ROOT)))
    assert shipped <= names, sorted(shipped - names)
    assert not any(n.startswith(("tests/", "bench/", ".dc/", "runs/")) for n in names)
