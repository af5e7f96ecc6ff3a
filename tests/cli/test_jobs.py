"""A config's ``job`` must be one JOB_ARGV can run; every JOB_ARGV entry is a command line the parser accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from deep_classiflie.cli.failures import UsageError
from deep_classiflie.cli.main import JOB_ARGV, build_parser, main


@pytest.mark.parametrize("job", sorted(JOB_ARGV))
def test_every_job_is_a_valid_command_line(job: str) -> None:
    args = build_parser().parse_args(JOB_ARGV[job])  # a UsageError here names the job's broken argv
    assert callable(args.func)


@pytest.mark.parametrize("job", ["predict", "nosuchjob", ""])
def test_a_job_that_cannot_run_is_one_error_line(
    job: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DC_DB_URL", raising=False)
    config = tmp_path / "job.yaml"
    config.write_text(f"job: {job!r}\n", encoding="utf-8")
    assert main(["--config", str(config)]) == 2
    assert main(["--set", f"job={job}", "db", "current"]) == 2
    err = capsys.readouterr().err.splitlines()
    want = f"Error: job {job!r} cannot run as a job — set job to one of: " + ", ".join(sorted(JOB_ARGV))
    assert err == [want, want]
    assert not (tmp_path / ".dc").exists()


def test_usage_error_is_raised_not_printed() -> None:
    with pytest.raises(UsageError, match="invalid choice"):
        build_parser().parse_args(["db", "nope"])
