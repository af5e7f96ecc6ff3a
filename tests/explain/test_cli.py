"""``deep-classiflie explain``: free text, --from-db ids, a split, a file; files, stored rows, error lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deep_classiflie.cli.main import main
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.queries.explain import explanations_for
from tests.explain.conftest import Trained, train_in_store


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory, encoder_path: Path) -> tuple[Trained, str]:
    tmp = tmp_path_factory.mktemp("explain_cli")
    url = f"sqlite:///{tmp / 'store.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    return train_in_store(engine, encoder_path, tmp), url


@pytest.fixture
def cli(cli_store: tuple[Trained, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    _, url = cli_store
    monkeypatch.setenv("DC_DB_URL", url)
    monkeypatch.chdir(tmp_path)
    return ["--set", f"paths.data_dir={tmp_path / 'dc'}", "--set", "explain.n_steps=8"]


def test_free_text_writes_three_files_named_by_hash_and_model(
    cli: list[str], cli_store: tuple[Trained, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trained, _ = cli_store
    assert main([*cli, "explain", "fake news about the wall", "--type", "tweet", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    files = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert len(files) == 3 and {f.rsplit(".", 1)[1] for f in files} == {"png", "html", "json"}
    assert all(f.startswith("text-") and f"__model-{trained.model_id}." in f for f in files)
    assert "top word" in out
    card = json.loads(next((tmp_path / "o").glob("*.json")).read_text())
    assert card["statement"]["type"] == "tweet" and card["statement"]["actual_label"] is None
    assert card["attribution"]["n_steps"] == 8


def test_from_db_ids_carry_actual_labels_and_are_recorded(
    cli: list[str], cli_store: tuple[Trained, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trained, _ = cli_store
    sid, unrated = trained.test_ids[1], trained.unlabelled_id  # test statement 1 is labelled false (odd index)
    args = [*cli, "explain", "--from-db", str(sid), str(unrated), "--format", "json", "--json", "--out", "o"]
    assert main(args) == 0
    cards = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [c["statement"]["id"] for c in cards] == [sid, unrated]
    assert cards[0]["statement"]["actual_label"] == "falsehood"
    assert cards[1]["statement"]["actual_label"] is None
    assert cards[1]["statement"]["actual_label_display"] == "not yet fact-checked"
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == sorted(
        f"statement-{i}__model-{trained.model_id}.json" for i in (sid, unrated)
    )
    rows = explanations_for(trained.engine, model_version_id=trained.model_id, statement_ids=[sid, unrated])
    assert {r["statement_id"] for r in rows} == {sid, unrated}
    assert all(Path(r["files"]["json"]).name.startswith("statement-") for r in rows)


def test_split_batch_and_file_modes(
    cli: list[str], cli_store: tuple[Trained, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trained, _ = cli_store
    assert main([*cli, "explain", "--from-db", "--split", "test", "--limit", "5", "--format", "json"]) == 0
    written = sorted((tmp_path / "dc" / "cards").glob("*.json"))
    assert [p.name for p in written] == sorted(
        f"statement-{i}__model-{trained.model_id}.json" for i in trained.test_ids[:5]
    )
    source = tmp_path / "statements.jsonl"
    source.write_text('{"text": "the wall", "type": "tweet"}\n\nplain line of china jobs\n', encoding="utf-8")
    capsys.readouterr()
    assert main([*cli, "explain", "--file", str(source), "--format", "html", "--out", "f"]) == 0
    assert len(list((tmp_path / "f").glob("*.html"))) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explain", "the wall", "--model", "no-such-model"], "no model version named or numbered 'no-such-model'"),
        (["explain", "   "], "nothing left to explain in"),
        (["explain", "--from-db", "987654"], "statement id 987654 is not in the store"),
        (["explain", "the wall", "--type", "tweeet"], "unknown statement type 'tweeet'"),
        (["explain", "the wall", "--format", "gif"], "unknown card format 'gif'"),
        (["explain"], "explain needs exactly one of"),
        (["explain", "--file", "missing.jsonl"], "statement file missing.jsonl does not exist"),
        (["explain", "the wall", "--n-steps", "1"], "--n-steps 1 is out of range — use 2 to 5000 steps"),
    ],
    ids=[
        "unknown-model",
        "empty-statement",
        "unknown-id",
        "bad-type",
        "bad-format",
        "no-input",
        "missing-file",
        "bad-steps",
    ],
)
def test_errors_are_one_line_and_non_zero(
    cli: list[str], argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli, *argv]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ") and message in err[0], err
