"""Hot-swap: activation loads in the background, swaps atomically, persists; the store's active model is what
``load_registered(engine, None)`` returns. Also: read-route auth and the optional prediction record."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from deep_classiflie.model.resolve import load_registered
from deep_classiflie_db.queries.serve import count_api_predictions
from tests.serve.conftest import API_KEY, Trained, make_client, register, serve_config

ADMIN = {"X-API-Key": API_KEY}


def wait_active(client: TestClient, name: str, timeout_s: float = 60.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = client.get("/v1/models").json()
        if out["active"]["name"] == name and out["loading"] is None:
            return out
        time.sleep(0.05)
    raise AssertionError(f"{name} never became active: {out}")


def test_activate_swaps_and_persists(
    sqlite_engine: Engine, trained: Trained, tiny_encoder_path: Path, tmp_path: Path
) -> None:
    a = register(sqlite_engine, trained, "tiny-a")
    register(sqlite_engine, trained, "tiny-b")
    assert load_registered(sqlite_engine, None)[0]["name"] == "tiny-b"  # none activated: the newest
    with make_client(sqlite_engine, serve_config(tiny_encoder_path, tmp_path)) as client:
        body = {"statements": [{"text": "fake news"}]}
        assert client.post("/v1/predict", json=body).json()["model"]["name"] == "tiny-b"
        response = client.post(f"/v1/models/{a}/activate", headers=ADMIN)
        assert response.status_code == 202
        assert response.json() == {"status": "loading", "model": {"id": a, "name": "tiny-a"}}
        out = wait_active(client, "tiny-a")
        assert out["last_error"] is None
        assert {v["name"]: v["active"] for v in out["versions"]} == {"tiny-a": True, "tiny-b": False}  # type: ignore[union-attr]
        assert client.post("/v1/predict", json=body).json()["model"]["name"] == "tiny-a"
    # persisted: the publisher, the bot and a restarted service all resolve "the active model" to it
    assert load_registered(sqlite_engine, None)[0]["name"] == "tiny-a"
    with make_client(sqlite_engine, serve_config(tiny_encoder_path, tmp_path)) as client:
        assert client.get("/v1/models").json()["active"]["name"] == "tiny-a"


def test_a_broken_version_does_not_replace_the_active_one(
    sqlite_engine: Engine, trained: Trained, tiny_encoder_path: Path, tmp_path: Path
) -> None:
    broken = register(sqlite_engine, Trained(folder=tmp_path / "gone", weights_sha256="0" * 64), "moved-away")
    register(sqlite_engine, trained, "tiny-a")  # the newest: served at start
    with make_client(sqlite_engine, serve_config(tiny_encoder_path, tmp_path), with_buckets=False) as client:
        assert client.post(f"/v1/models/{broken}/activate", headers=ADMIN).status_code == 202
        deadline = time.monotonic() + 30
        while client.get("/v1/models").json()["loading"] is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        out = client.get("/v1/models").json()
        assert out["active"]["name"] == "tiny-a"
        assert "moved-away" in out["last_error"] and "missing" in out["last_error"]
    assert load_registered(sqlite_engine, None)[0]["name"] == "tiny-a"


def test_admin_routes_are_off_without_a_key(store: Engine, tiny_encoder_path: Path, tmp_path: Path) -> None:
    with make_client(store, serve_config(tiny_encoder_path, tmp_path), api_key=None) as client:
        response = client.post("/v1/models/1/activate", headers=ADMIN)
        assert response.status_code == 403
        assert "DC_API_KEY" in response.json()["detail"]


def test_read_routes_need_the_key_when_configured(store: Engine, tiny_encoder_path: Path, tmp_path: Path) -> None:
    with make_client(store, serve_config(tiny_encoder_path, tmp_path, auth_reads=True)) as client:
        body = {"statements": [{"text": "the wall"}]}
        assert client.post("/v1/predict", json=body).status_code == 401
        assert client.get("/v1/models").status_code == 401
        assert client.post("/v1/predict", json=body, headers=ADMIN).status_code == 200
        assert client.get("/healthz").status_code == 200  # probes stay open


def test_predictions_are_recorded_off_the_request_path(store: Engine, tiny_encoder_path: Path, tmp_path: Path) -> None:
    config = serve_config(tiny_encoder_path, tmp_path, recording={"enabled": True, "flush_interval_s": 0.05})
    with make_client(store, config) as client:
        body = {"statements": [{"text": "the wall"}, {"text": "fake news", "statement_type": "tweet"}]}
        for _ in range(3):
            assert client.post("/v1/predict", json=body).status_code == 200
        deadline = time.monotonic() + 10
        while count_api_predictions(store) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count_api_predictions(store, model_version_id=1) == 6
        assert "dc_recorded_predictions_total 6.0" in client.get("/metrics").text
