"""``deep-classiflie ingest``: exit codes, messages, status table."""

from __future__ import annotations

from pathlib import Path

import pytest

from deep_classiflie.cli.main import main
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine

TS = 'number,date,place,claim,infact,source,placecategory\n1,7-7-2018,Twitter,"We are great.",No.,http://t,Twitter\n2,bad,Twitter,x,y,z,Twitter\n'


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "store.sqlite"
    migrate.upgrade(make_engine(f"sqlite:///{db}"))
    monkeypatch.setenv("DC_DB_URL", f"sqlite:///{db}")
    return tmp_path


def test_ingest_source_and_status(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = store / "liar.csv"
    path.write_text(TS, encoding="utf-8")
    assert main(["ingest", "--source", "toronto_star", "--path", str(path)]) == 0
    out = capsys.readouterr().out
    assert "toronto_star: read 2, inserted 1, duplicate 0, rejected 1, skipped 0, labels 1" in out
    assert main(["ingest", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:6] == ["source", "kind", "statements", "labels", "newest", "stored"]
    # newest stored statement, then the last run: start, status, rejects, watermark
    assert lines[1].split()[:5] == ["toronto_star", "label_source", "1", "1", "2018-07-07"]
    assert lines[1].split()[8:] == ["ok", "1", "2018-07-07T00:00:00"]


def test_bad_input_is_one_error_line(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = store / "broken.csv"
    path.write_text("nothing,useful\n", encoding="utf-8")
    assert main(["ingest", "--source", "toronto_star", "--path", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "Error: broken.csv: missing column(s) number, date, place, claim, infact, source, placecategory"
    )
    assert main(["ingest", "status"]) == 0
    assert " 0 " in capsys.readouterr().out  # the failed run stored nothing; its record says failed


def test_usage_errors(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest"]) == 2
    assert "exactly one of --source NAME or --all" in capsys.readouterr().err
    assert main(["ingest", "--source", "nope", "--path", str(store)]) == 1
    assert "Error: unknown source 'nope'" in capsys.readouterr().err
    assert main(["ingest", "--source", "cnn", "--path", str(store / "missing.csv")]) == 1
    assert "not found at" in capsys.readouterr().err
