"""``build-dataset`` and ``dataset report`` through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from deep_classiflie.cli.main import main
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from tests.dataset.helpers import seed_store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DC_DB_URL", raising=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'deep_classiflie.sqlite'}")
    migrate.upgrade(engine)
    seed_store(engine)
    engine.dispose()
    return tmp_path


def test_build_then_report(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--set", f"paths.data_dir={store}", "--set", "dataset.filter.embedding=none"]
    assert main([*args, "build-dataset"]) == 0
    out = capsys.readouterr().out
    assert "built collection 1" in out and "falsehoods dropped 20" in out  # speeches: no same-period truths
    assert "class counts per split × statement type" in out
    assert "plain typography (every statement) and editorial marks (spoken ones): falsehoods " in out
    assert main([*args, "dataset", "report", "1"]) == 0
    assert "class counts per split × type × month" in capsys.readouterr().out
    assert main([*args, "build-dataset"]) == 0
    assert "reused collection 1" in capsys.readouterr().out


def test_report_of_a_missing_collection(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--set", f"paths.data_dir={store}", "dataset", "report", "7"]) == 1
    assert capsys.readouterr().err.startswith("Error: no dataset collection with id 7")
