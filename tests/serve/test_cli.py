"""``deep-classiflie serve`` refuses bad options with one Error line (it never starts serving here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deep_classiflie.cli.main import main


@pytest.mark.parametrize(
    ("argv", "needle"),
    [(["serve", "--port", "70000"], "port"), (["serve", "--backend", "tensorrt"], "backend")],
    ids=["bad-port", "bad-backend"],
)
def test_bad_serve_options_are_one_error_line(
    argv: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--set", f"paths.data_dir={tmp_path}", *argv])
    err = capsys.readouterr().err
    assert code != 0
    lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and needle in lines[0], err
    assert "Traceback" not in err
