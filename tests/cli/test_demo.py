"""The demo chain end to end on the real shared data, with the tiny encoder standing in for MiniLM."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from deep_classiflie.cli.main import main
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.schema import metric_history, model_versions, predictions, statements


@pytest.mark.shared_data
@pytest.mark.slow
def test_demo_runs_whole_chain(
    shared_data: Path,
    tiny_encoder_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("DC_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    args = [
        "--set",
        f"paths.shared_data={shared_data}",
        "--set",
        f"paths.data_dir={tmp_path / 'dc'}",
        "--set",
        f"paths.runs_dir={tmp_path / 'runs'}",
        "--set",
        f"encoder.path={tiny_encoder_path}",
        "--set",
        "train.epochs=2",
        "demo",
    ]
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Test metrics" in out and "head on cached features, CPU" in out
    assert "leakage probe (metadata only: type, month, length, source): val AUC" in out
    # validation holds a dozen tweet falsehoods: tweets take the all-rows cut, and the demo says why
    assert re.search(r"tweet: the cut of all rows \(1\d of class 1 \(fewer than 30\) in validation", out)
    engine = make_engine(f"sqlite:///{tmp_path / 'dc' / 'deep_classiflie.sqlite'}")
    with engine.connect() as conn:
        count = lambda t: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()  # noqa: E731
        assert count(statements) > 40_000
        assert count(model_versions) == 1
        assert count(predictions) > 100
        assert count(metric_history) > 10
    folder = next((tmp_path / "runs").iterdir())
    assert (folder / "model.safetensors").is_file() and (folder / "resolved_config.yaml").is_file()
    # predict end to end from the stored model
    assert main([*args[:-1], "predict", "--json", "We have the highest taxes in the world."]) == 0
    assert '"probability"' in capsys.readouterr().out
