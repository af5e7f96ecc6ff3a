"""The HTTP API in-process: predictions, limits, strict requests, auth, models, health and metrics."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from deep_classiflie.dataset.types import STATEMENT_TYPES
from deep_classiflie.model.classifier import load_thresholds
from tests.serve.conftest import API_KEY, Trained


def test_predict_returns_probability_label_threshold_and_bucket(client: TestClient, trained: Trained) -> None:
    stored = load_thresholds(trained.folder)  # per type, chosen on validation by train
    body = {"statements": [{"text": "fake news is big", "statement_type": "tweet"}, {"text": "the wall"}]}
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["model"]["name"] == "tiny-a"
    assert [p["statement_type"] for p in out["predictions"]] == ["tweet", "non_tweet"]
    for item in out["predictions"]:
        assert 0.0 <= item["probability"] <= 1.0
        assert item["confidence"] == pytest.approx(max(item["probability"], 1 - item["probability"]))
        group = "tweet" if item["statement_type"] == "tweet" else "non_tweet"
        assert item["threshold"] == pytest.approx(stored.get(item["statement_type"], stored.get(group, 0.5)))
        assert item["label"] == ("likely falsehood" if item["probability"] >= item["threshold"] else "not flagged")
        assert item["bucket"]["scope"] in ("tweet", "non_tweet", "all")


def test_the_same_statement_scores_the_same_alone_and_in_a_batch(client: TestClient) -> None:
    alone = client.post("/v1/predict", json={"statements": [{"text": "china is great"}]}).json()
    many = client.post(
        "/v1/predict", json={"statements": [{"text": t} for t in ("the jobs", "china is great", "a b c d e f g h")]}
    ).json()
    assert many["predictions"][1]["probability"] == pytest.approx(alone["predictions"][0]["probability"], abs=1e-5)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"statements": []}, "at least 1"),
        ({"statements": [{"text": "   "}]}, "empty after cleaning"),
        ({"statements": [{"text": "x", "statment_type": "tweet"}]}, "statment_type"),
        ({"statements": [{"text": "x"}], "extra": 1}, "extra"),
        ({"texts": ["x"]}, "texts"),
        ({"statements": [{"text": "x", "statement_type": "Tweet"}]}, "use one of: " + ", ".join(STATEMENT_TYPES)),
        ({"statements": [{"text": "x"}] * 9}, "the limit is 8 (serve.limits.max_statements)"),
        ({"statements": [{"text": "a" * 201}]}, "the limit is 200 (serve.limits.max_chars)"),
        ({"statements": [{"text": "x", "date": "yesterday"}]}, "date"),
    ],
    ids=[
        "none",
        "empty",
        "misspelt-field",
        "unknown-top-field",
        "old-shape",
        "bad-type",
        "too-many",
        "too-long",
        "bad-date",
    ],
)
def test_bad_requests_are_422_and_say_why(client: TestClient, body: dict[str, object], needle: str) -> None:
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 422
    assert needle in response.text
    assert "input" not in response.json()["detail"][0] if isinstance(response.json()["detail"], list) else True


def test_a_body_over_the_limit_is_413_unread(client: TestClient) -> None:
    big = {"statements": [{"text": "word " * 30}] * 40}
    response = client.post("/v1/predict", json=big)
    assert response.status_code == 413
    assert "serve.limits.max_body_bytes" in response.json()["detail"]
    chunks = (b'{"statements": [' + b'{"text": "x"},' * 100 for _ in range(5))  # streamed, no Content-Length
    response = client.post("/v1/predict", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_explain_statement_limit_applies(client: TestClient) -> None:
    response = client.post("/v1/explain", json={"statements": [{"text": "x"}] * 3})
    assert response.status_code == 422
    assert "serve.limits.max_explain_statements" in response.text


def test_admin_routes_need_the_key(client: TestClient) -> None:
    assert client.post("/v1/models/1/activate").status_code == 401
    assert client.post("/v1/models/1/activate", headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.post("/v1/models/999/activate", headers={"X-API-Key": API_KEY}).status_code == 404
    # read routes are open by default
    assert client.get("/v1/models").status_code == 200


def test_models_lists_the_active_version(client: TestClient) -> None:
    out = client.get("/v1/models").json()
    assert out["active"]["name"] == "tiny-a"
    assert out["active"]["backend"] == "torch"
    assert "path" not in out["active"]
    # 8 validation rows: each type takes the all-rows cut, and the service says why
    assert set(out["active"]["thresholds_from_all_rows"]) == {"tweet", "non_tweet"}
    assert "fewer than 30" in out["active"]["thresholds_from_all_rows"]["tweet"]
    assert [v["name"] for v in out["versions"]] == ["tiny-a"]
    assert out["versions"][0]["active"] is True


def test_health_ready_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "model_loaded": True, "store_reachable": True}
    client.post("/v1/predict", json={"statements": [{"text": "the wall"}]})
    client.post("/v1/predict", json={"statements": []})
    text = client.get("/metrics").text
    assert 'dc_requests_total{route="/v1/predict",status="200"} 1.0' in text
    assert 'dc_requests_total{route="/v1/predict",status="422"} 1.0' in text
    assert "dc_batch_size_count 2.0" in text or "dc_batch_size_count 1.0" in text
    assert "dc_queue_depth" in text


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "cdn" not in page.lower()
    assert "/static-offline-docs/swagger-ui-bundle.js" in page
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    assert "redoc.standalone.js" in client.get("/redoc").text
    assert client.get("/openapi.json").json()["paths"]["/v1/predict"]


def test_old_routes_are_gone(client: TestClient) -> None:
    assert client.post("/predict", json={"texts": ["x"]}).status_code == 404
    assert client.get("/health").status_code == 404


def test_explain_returns_cards_of_the_active_model(client: TestClient) -> None:
    response = client.post(
        "/v1/explain", json={"statements": [{"text": "fake news is big", "statement_type": "tweet"}]}
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["model"]["name"] == "tiny-a"
    (card,) = out["cards"]
    assert card["schema"] == 1
    assert card["statement"]["type"] == "tweet"
    assert card["words"]
    predicted = client.post(
        "/v1/predict", json={"statements": [{"text": "fake news is big", "statement_type": "tweet"}]}
    )
    assert card["prediction"]["probability"] == pytest.approx(
        predicted.json()["predictions"][0]["probability"], abs=1e-4
    )


def test_explain_without_the_explain_stage_is_503(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import deep_classiflie.serve.routes.explain as route

    def missing(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(route.importlib, "import_module", missing)
    response = client.post("/v1/explain", json={"statements": [{"text": "the wall"}]})
    assert response.status_code == 503
    assert "explain stage not installed" in response.json()["detail"]
