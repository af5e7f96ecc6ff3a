"""The ``bot`` command: one cycle, status, a clean stop on SIGTERM, and one Error line for refused credentials."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from deep_classiflie.cli.main import main
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.queries import bot as q
from tests.bot.fake_api import CREDENTIALS, FakeNetwork
from tests.bot.harness import SPEAKER_TEXTS, bot_env, prepare_store, seed_timeline, start_bot, write_config


@pytest.fixture
def job(trained_tiny: Path, tmp_path: Path, fake: FakeNetwork, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store, the fake's timeline with two tweets, a job YAML and the settings in the environment."""
    url = prepare_store(tmp_path, trained_tiny)
    seed_timeline(fake, SPEAKER_TEXTS[:2])
    for key, value in bot_env(url).items():
        if key.startswith("DC_"):
            monkeypatch.setenv(key, value)
    return write_config(tmp_path, fake, card="none")


def test_bot_once_then_status(job: Path, fake: FakeNetwork, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(job), "bot", "once"]) == 0
    assert "bot (twitter): 1 cycles, analysed 2, queued 2, posted 2, failed 0" in capsys.readouterr().out
    assert len(fake.tweets) == 2
    assert main(["--config", str(job), "bot", "status"]) == 0
    out = capsys.readouterr().out
    assert "decisions: publish 2" in out and "outbox: twitter posted 2" in out


def test_bot_dry_run_is_the_default(job: Path, fake: FakeNetwork, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(job), "--set", "bot.publisher=dry_run", "bot", "once"]) == 0
    assert "bot (dry_run): 1 cycles, analysed 2, queued 2, posted 2" in capsys.readouterr().out
    assert fake.tweets == [] and len(list((job.parent / "dc" / "bot" / "dry_run").glob("*/*.json"))) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_one_error_line(
    job: Path, fake: FakeNetwork, capsys: pytest.CaptureFixture[str], status: int
) -> None:
    fake.auth_status = status
    code = main(["--config", str(job), "bot", "run"])
    captured = capsys.readouterr()
    assert code == 1
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: the Twitter API refused the bot's credentials ({status})")
    for secret in CREDENTIALS.values():
        assert secret not in captured.err + captured.out


@pytest.mark.slow
def test_sigterm_stops_the_daemon_cleanly(trained_tiny: Path, tmp_path: Path, fake: FakeNetwork) -> None:
    url = prepare_store(tmp_path, trained_tiny)
    seed_timeline(fake, SPEAKER_TEXTS[:1])
    config = write_config(tmp_path, fake, card="none", bot={"poll_s": 3600})
    proc = start_bot(config, bot_env(url), "run", cwd=tmp_path)
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if [r["status"] for r in q.outbox_rows(engine)] == ["posted"]:
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()[1]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        engine.dispose()
    assert proc.returncode == 0, err
    assert "(stopped by signal)" in out and "Error" not in err
    assert len(fake.tweets) == 1
