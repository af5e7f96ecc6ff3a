"""Kill the importer with SIGKILL at seeded points, re-run to completion: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.ingest.registry import import_source
from deep_classiflie_db.schema import ingest_runs
from tests.ingest.helpers import stored_statements

ROOT = Path(__file__).resolve().parents[2]
BATCH = 2000
KILLS = 10
IMPORTER = """
import sys
from deep_classiflie.config import Config
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.ingest.registry import import_source
cfg = Config.model_validate({"paths": {"shared_data": sys.argv[2]}, "ingest": {"batch_size": int(sys.argv[3])}})
import_source(make_engine(sys.argv[1]), "tweets", path=None, config=cfg, on_batch=lambda r: print(r.read, flush=True))
print("done", flush=True)
"""


def run_importer(url: str, shared: Path, kill_after: int | None, rng: random.Random) -> bool:
    """Run the importer; with ``kill_after``, SIGKILL it that many batches in (plus a random few ms)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, url, str(shared), str(BATCH)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    for seen, line in enumerate(proc.stdout, 1):
        if line.startswith("done"):
            break
        if kill_after is not None and seen >= kill_after:
            time.sleep(rng.uniform(0, 0.05))  # land inside the next batch's work, not at its edge
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return proc.returncode == -signal.SIGKILL
    proc.wait()
    assert proc.returncode == 0
    return False


@pytest.mark.slow
@pytest.mark.shared_data
def test_sigkill_and_resume_equals_uninterrupted(engine: Engine, shared_data: Path, tmp_path: Path) -> None:
    cfg = Config.model_validate({"paths": {"shared_data": str(shared_data)}})
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.sqlite'}")
    migrate.upgrade(reference)
    import_source(reference, "tweets", path=None, config=cfg)
    expected = stored_statements(reference)
    reference.dispose()

    url = engine.url.render_as_string(hide_password=False)
    rng = random.Random(20240607)
    kills = sum(run_importer(url, shared_data, rng.randint(1, 15), rng) for _ in range(KILLS))
    assert kills == KILLS
    run_importer(url, shared_data, None, rng)

    assert stored_statements(engine) == expected  # nothing lost, nothing doubled
    with engine.connect() as conn:
        statuses = conn.execute(sa.select(ingest_runs.c.status).order_by(ingest_runs.c.id)).scalars().all()
    # killed runs could not close their record; each next run found its process gone and closed it
    assert statuses == ["interrupted"] * KILLS + ["ok"]
