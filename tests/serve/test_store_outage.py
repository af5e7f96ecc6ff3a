"""MariaDB stopped under a running service: /readyz turns not-ready, predictions still answer, and it recovers by
itself when the server is back. The outage is kept to seconds (the server is shared) and always ended."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from deep_classiflie_db.engine import MARIADB_START
from tests.conftest import _mariadb_up
from tests.serve.conftest import Trained, make_client, register, serve_config

MARIADB_STOP = "start-stop-daemon --stop --oknodo --retry 30 --exec /usr/sbin/mariadbd"


def wait_for(check, timeout_s: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.mariadb
@pytest.mark.timeout(180)
def test_readyz_follows_the_store_and_predictions_survive_it(
    mariadb_engine: Engine, trained: Trained, tiny_encoder_path: Path, tmp_path: Path
) -> None:
    if not Path("/usr/sbin/mariadbd").exists():
        pytest.skip("no local mariadbd to stop and start")
    register(mariadb_engine, trained, "tiny-a")
    config = serve_config(tiny_encoder_path, tmp_path, ready_cache_s=0)
    body = {"statements": [{"text": "fake news is big", "statement_type": "tweet"}]}
    with make_client(mariadb_engine, config) as client:
        assert client.get("/readyz").status_code == 200
        before = client.post("/v1/predict", json=body).json()["predictions"][0]["probability"]
        try:
            subprocess.run(MARIADB_STOP.split(), check=True, capture_output=True, timeout=60)
            down = client.get("/readyz")
            assert down.status_code == 503
            assert down.json() == {"ready": False, "model_loaded": True, "store_reachable": False}
            during = client.post("/v1/predict", json=body)
            assert during.status_code == 200  # a prediction needs no store
            assert during.json()["predictions"][0]["probability"] == pytest.approx(before, abs=1e-6)
            assert client.get("/v1/models").json()["versions"] is None  # says what it serves, without the list
        finally:
            subprocess.run(MARIADB_START.split(), check=False, capture_output=True, timeout=60)
            assert wait_for(_mariadb_up, 60), "MariaDB did not come back"
        assert wait_for(lambda: client.get("/readyz").status_code == 200, 30)  # recovered by itself
        assert client.get("/v1/models").json()["versions"][0]["name"] == "tiny-a"
