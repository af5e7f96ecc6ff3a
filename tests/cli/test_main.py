"""CLI behaviour: exit codes and the exact `Error: …` lines for bad input."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from deep_classiflie.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_env_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DC_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env, data dir under tmp


def test_db_upgrade_then_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--set", f"paths.data_dir={tmp_path / 'd'}", "db", "upgrade"]) == 0
    assert main(["--set", f"paths.data_dir={tmp_path / 'd'}", "db", "current"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"revision (\d{4}) \(code expects \1\)", out)


def test_unmigrated_store_says_to_upgrade(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "deep_classiflie.sqlite").touch()  # an empty SQLite file: a store never migrated
    code = main(["--set", f"paths.data_dir={tmp_path / 'd'}", "db", "current"])
    assert code == 1
    assert "revision none" in capsys.readouterr().out


def test_missing_store_is_an_error_and_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--set", f"paths.data_dir={tmp_path / 'd'}", "db", "current"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"Error: no store at {tmp_path / 'd' / 'deep_classiflie.sqlite'} — create it with `deep-classiflie db "
        "upgrade`, or point paths.data_dir or DC_DB_URL at an existing store"
    ]
    assert not (tmp_path / "d").exists()


def test_bad_config_key_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--set", "trian.epochs=2", "db", "current"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("Error: invalid configuration") and "did you mean 'train'?" in err[0]


def test_missing_config_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", "nope.yaml", "db", "current"]) == 2
    assert capsys.readouterr().err.startswith("Error: config file nope.yaml does not exist — check the path")


def test_unreachable_database_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DC_DB_URL", "mysql+mysqlconnector://root@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot connect to the database at mysql+mysqlconnector://root@127.0.0.1:1/none")
    assert "is MariaDB running" in err


def test_invalid_database_url(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DC_DB_URL", "postgresql://x@localhost/db")
    assert main(["db", "upgrade"]) == 1
    assert "database backend 'postgresql' is not supported" in capsys.readouterr().err


def test_every_command_has_help_and_is_documented() -> None:
    parser = build_parser()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in sub.choices.items():  # type: ignore[union-attr]
        assert subparser.format_help()
        assert f"`{name}" in readme, f"command {name!r} is not documented in README.md"


def test_script_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "deep_classiflie.py"), "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "deep-classiflie" in result.stdout
