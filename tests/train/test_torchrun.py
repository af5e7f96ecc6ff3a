"""The documented multi-process launch: ``torchrun --standalone --nproc-per-node 2 deep_classiflie.py … train --full``
on 2 CPU ranks (gloo) trains one model and registers it once, from rank 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from deep_classiflie.cli.main import main
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.schema import model_versions
from tests.dataset.helpers import seed_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_torchrun_two_cpu_ranks_register_one_model(
    tmp_path: Path, tiny_encoder_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    seed_store(engine)
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "paths": {"data_dir": str(tmp_path / "dc"), "runs_dir": str(tmp_path / "runs")},
                "encoder": {"path": str(tiny_encoder_path), "max_length": 32, "batch_size": 8},
                "dataset": {"filter": {"embedding": "none"}, "converge": False},
                "train": {"finetune": {"max_steps": 2, "max_epochs": 1, "batch_size": 8, "top_k": 1, "swa_n": 1}},
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("DC_DB_URL", url)
    assert main(["--config", str(job), "build-dataset"]) == 0
    env = {**os.environ, "DC_DB_URL": url, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    cmd += [str(ROOT / "deep_classiflie.py"), "--config", str(job), "train", "--full"]
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(model_versions.c.kind, model_versions.c.path)).all()
    assert [r.kind for r in rows] == ["finetuned"]  # one registration, from rank 0
    assert (Path(rows[0].path) / "model.safetensors").is_file()
    engine.dispose()
