"""``tune`` and ``tune report`` end to end with the tiny encoder: SQLite, MariaDB, and two workers on one study."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import yaml

from deep_classiflie.cli.main import main
from deep_classiflie.config import load_config
from deep_classiflie.tune.study import best_trial
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from tests.dataset.helpers import seed_store

ROOT = Path(__file__).resolve().parents[2]

SPACE = {
    "train.lr": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
    "train.hidden_dim": {"type": "categorical", "choices": [16, 32]},
}


def _job(tmp_path: Path, tiny_encoder_path: Path, *, study: str = "s", trials: int = 3) -> Path:
    job = {
        "job": "tune",
        "paths": {"data_dir": str(tmp_path / "dc"), "runs_dir": str(tmp_path / "runs")},
        "encoder": {"path": str(tiny_encoder_path), "max_length": 32, "batch_size": 16},
        "dataset": {"filter": {"embedding": "none"}, "converge": False},
        "train": {"epochs": 3, "batch_size": 16, "patience": 3},
        "tune": {"study": study, "trials": trials, "metric": "val_auc", "startup_trials": 1, "space": SPACE},
    }
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(job), encoding="utf-8")
    return path


def _store(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    seed_store(engine)
    engine.dispose()


def _tune_and_report(tmp_path: Path, job: Path, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(job), "build-dataset"]) == 0
    capsys.readouterr()
    assert main(["--config", str(job)]) == 0  # the job YAML's `job: tune`
    out = capsys.readouterr().out
    assert "study 's': 3 trials" in out and "best: trial" in out
    best = tmp_path / "runs" / "tune" / "s" / "best.yaml"
    cfg = load_config(best)  # runnable: a valid train job with the best values
    assert cfg.job == "train"
    study = optuna.load_study(study_name="s", storage=optuna.storages.RDBStorage(url, skip_compatibility_check=True))
    assert len(study.trials) == 3
    best_t = best_trial(study)
    assert best_t is not None
    assert best_t.value == max(t.value for t in study.trials if t.value is not None)
    assert best_t.number == min(t.number for t in study.trials if t.value == best_t.value)  # ties: earliest
    assert cfg.train.lr == pytest.approx(best_t.params["train.lr"])
    assert cfg.train.hidden_dim == best_t.params["train.hidden_dim"]
    kept = sorted(p.name for p in (tmp_path / "runs" / "tune" / "s").glob("trial-*"))
    assert kept == [f"trial-{best_t.number:04d}"]  # only the best trial's model folder is kept
    assert migrate.current_revision(make_engine(url)) == migrate.head_revision(make_engine(url))  # store untouched

    assert main(["--config", str(job), "tune", "report"]) == 0
    report = capsys.readouterr().out
    assert "train.hidden_dim" in report and "complete" in report
    png = tmp_path / "runs" / "tune" / "s" / "optimization_history.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tune_on_sqlite(
    tmp_path: Path, tiny_encoder_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    _store(url)
    monkeypatch.setenv("DC_DB_URL", url)
    monkeypatch.chdir(tmp_path)
    _tune_and_report(tmp_path, _job(tmp_path, tiny_encoder_path), url, capsys)


@pytest.mark.mariadb
def test_tune_on_mariadb(
    tmp_path: Path,
    tiny_encoder_path: Path,
    mariadb_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _store(mariadb_url)
    monkeypatch.setenv("DC_DB_URL", mariadb_url)
    monkeypatch.chdir(tmp_path)
    _tune_and_report(tmp_path, _job(tmp_path, tiny_encoder_path), mariadb_url, capsys)


@pytest.mark.mariadb
def test_two_workers_share_one_mariadb_study(
    tmp_path: Path, tiny_encoder_path: Path, mariadb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(mariadb_url)
    monkeypatch.setenv("DC_DB_URL", mariadb_url)
    monkeypatch.chdir(tmp_path)
    job = _job(tmp_path, tiny_encoder_path, study="shared", trials=2)
    assert main(["--config", str(job), "build-dataset"]) == 0
    env = {**os.environ, "DC_DB_URL": mariadb_url, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(ROOT / "deep_classiflie.py"), "--config", str(job), "--set", "tune.seed=null", "tune"]
    workers = [
        subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    ]
    for w in workers:
        _out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err.decode()
    storage = optuna.storages.RDBStorage(mariadb_url, skip_compatibility_check=True)
    trials = optuna.load_study(study_name="shared", storage=storage).trials
    assert sorted(t.number for t in trials) == [0, 1, 2, 3]  # 2 + 2, none duplicated
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)  # the median pruner may stop some
    assert all(t.state in done for t in trials) and any(t.state == done[0] for t in trials)
    by_worker: dict[str, int] = {}
    for t in trials:
        by_worker[t.user_attrs["worker"]] = by_worker.get(t.user_attrs["worker"], 0) + 1
    assert sorted(by_worker.values()) == [2, 2]  # both workers contributed their own trials


def test_tune_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    _store(url)
    monkeypatch.setenv("DC_DB_URL", url)
    monkeypatch.chdir(tmp_path)
    assert main(["tune"]) != 0
    assert capsys.readouterr().err.startswith("Error: tune.space is empty")
    assert main(["--set", "tune.space={train.lr: {type: float, low: 0.1, high: 0.2}}", "tune"]) != 0
    assert capsys.readouterr().err.startswith("Error: no dataset collection called")
    assert main(["--set", "tune.study=nope", "tune", "report"]) != 0
    assert capsys.readouterr().err.startswith("Error: no study called 'nope'")
