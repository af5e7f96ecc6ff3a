"""``deep-classiflie evaluate``: scoring, --compare, card and realised, with exit codes and error lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from deep_classiflie.cli import evaluate as cli_evaluate
from deep_classiflie.cli.main import main
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.schema import model_versions
from tests.evaluate.fixtures import T0, FakeModel, populate


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A populated SQLite store reached through DC_DB_URL; returns the common CLI prefix."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    store = populate(engine)
    with engine.begin() as conn:  # a second model version on the same collection
        row = {"name": "m2", "path": "/nowhere", "created_at": T0, "dataset_collection_id": store.collection_id}
        base = {
            "kind": "head_on_cached_features",
            "task": "falsehood_binary",
            "encoder": "tiny",
            "weights_sha256": "1" * 64,
        }
        conn.execute(sa.insert(model_versions).values(**row, **base, config={}))
    engine.dispose()
    monkeypatch.setenv("DC_DB_URL", url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli_evaluate, "_load_classifier", lambda folder: FakeModel())
    return ["--set", f"paths.runs_dir={tmp_path / 'runs'}", "--set", "evaluate.bootstrap_samples=20"]


def test_evaluate_compare_card_realised(
    cli_store: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli_store, "evaluate", "--model", "m1"]) == 0
    assert main([*cli_store, "evaluate", "--model", "m2", "--split", "test"]) == 0
    out = capsys.readouterr().out
    assert "stored 40 predictions" in out and (tmp_path / "runs" / "m1" / "evaluation_test.json").is_file()

    assert main([*cli_store, "evaluate", "--compare", "m1", "m2"]) == 0
    out = capsys.readouterr().out
    assert "A = m1, B = m2" in out and "auc" in out and "+0.000" in out

    assert main([*cli_store, "evaluate", "card", "m1"]) == 0
    card = (tmp_path / "runs" / "m1" / "MODEL_CARD.md").read_text()
    assert card.startswith("# Model card: m1") and "## Confidence buckets" in card

    assert main([*cli_store, "evaluate", "realised"]) == 0
    assert "published 0" in capsys.readouterr().out


def test_evaluate_date_range(cli_store: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*cli_store, "evaluate", "--model", "m1", "--from", "2019-07-08", "--to", "2019-07-20"]) == 0
    assert "labelled" in capsys.readouterr().out


def test_unknown_model_is_one_error_line(cli_store: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*cli_store, "evaluate", "--model", "nope"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "Error: no model version named or numbered 'nope' in the store — "
        "pass a name or id printed by `deep-classiflie train`, or train one first"
    ]


def test_compare_without_metrics_says_what_to_run(cli_store: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*cli_store, "evaluate", "--compare", "m1", "m2"]) == 1
    assert "run `deep-classiflie evaluate --model m1 --split test` first" in capsys.readouterr().err
