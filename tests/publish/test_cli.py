"""``deep-classiflie publish`` and ``publish --watch``: exit codes, the summary, clean stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from deep_classiflie.cli.main import main
from deep_classiflie.publish.feed import CHANNEL
from deep_classiflie.publish.stop import FORCED_EXIT
from deep_classiflie_db.queries import publish as q
from tests.publish.conftest import N_NEW, build_store

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 300  # bound on any subprocess wait (the machine may be busy); not a speed assertion


@pytest.fixture
def cli_store(sqlite_engine: Engine, tiny_model_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = build_store(sqlite_engine, tiny_model_folder, tmp_path)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DC_DB_URL", url)
    args = ["--set", f"paths.data_dir={tmp_path / 'dc'}", "--set", "publish.batch_size=4"]
    return store, url, args


def test_publish_once_prints_a_report_and_a_rerun_publishes_nothing(cli_store, capsys) -> None:
    store, _, args = cli_store
    assert main([*args, "publish", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["published"] == N_NEW and report["feed_items"] == N_NEW
    assert report["model"] == {"id": store.model_id, "name": store.model_name}
    assert report["locations"] == {"file": str(Path(store.config.paths.data_dir) / "feed/current_predictions.json")}
    assert main([*args, "publish"]) == 0
    assert capsys.readouterr().out == "published 0 statements with tiny-publish; feed already current\n"


def test_publish_without_a_model_is_one_error_line(sqlite_engine: Engine, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DC_DB_URL", sqlite_engine.url.render_as_string(hide_password=False))
    assert main(["--set", f"paths.data_dir={tmp_path}", "publish"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "no model versions" in err and len(err.strip().splitlines()) == 1


def test_bad_flags_and_config_are_rejected(cli_store, capsys) -> None:
    _, _, args = cli_store
    try:
        rc = main([*args, "publish", "--max-batches", "0"])
    except SystemExit as exc:  # argparse's own exit
        rc = int(exc.code or 0)
    assert rc == 2
    assert "not a positive whole number" in capsys.readouterr().err
    assert main([*args, "--set", "publish.sinks=[file,file]", "publish"]) != 0
    assert main([*args, "--set", "publish.statement_types=[tweeet]", "publish"]) == 1
    assert "unknown statement type 'tweeet'" in capsys.readouterr().err


def _cli(url: str, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DC_DB_URL": url}
    code = "import sys; from deep_classiflie.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


@pytest.mark.slow  # two CLI subprocesses that import torch: ~10 s on an idle machine
def test_watch_stops_cleanly_on_sigterm_mid_run_and_the_rest_is_published_later(cli_store) -> None:
    store, url, args = cli_store
    # one statement a batch, a run an hour: the SIGTERM lands in the first run's batches
    proc = _cli(
        url, *args, "--set", "publish.batch_size=1", "--set", "publish.interval_s=3600", "publish", "--watch", "--json"
    )
    assert proc.stderr is not None and proc.stdout is not None
    for line in proc.stderr:
        if "publishing with model" in line:
            proc.send_signal(signal.SIGTERM)
            break
    out, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "SIGTERM: stopping after the current step" in err
    report = json.loads(out.strip().splitlines()[-1])  # the interrupted run still reports what it committed
    published = [r["statement_id"] for r in q.publication_log(store.engine, channel=CHANNEL)]
    assert report["published"] == len(published) < N_NEW and len(set(published)) == len(published)

    rest = _cli(url, *args, "publish", "--json")
    out, err = rest.communicate(timeout=WAIT_S)
    assert rest.returncode == 0, err
    published = [r["statement_id"] for r in q.publication_log(store.engine, channel=CHANNEL)]
    assert sorted(published) == sorted(store.new_ids)


STUCK = """
import sys, threading, time
from deep_classiflie.publish.stop import install_stop_handlers
stop = threading.Event()
install_stop_handlers(stop, 0.5)
print("ready", flush=True)
time.sleep(120)  # a step that ignores the stop request
"""


def test_a_step_that_outlives_the_stop_timeout_is_ended() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", STUCK], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == FORCED_EXIT
    assert err.startswith("Error: the publisher did not stop within 0.5 s")
