"""Fuzz every route from the service's own OpenAPI schema (schemathesis strategies driven by Hypothesis): no 500s,
and the API key never echoed. Both valid and schema-violating requests are generated."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from sqlalchemy.engine import Engine

from tests.serve.conftest import API_KEY, make_client, serve_config


def test_no_server_errors_and_no_secret_echoed(store: Engine, tiny_encoder_path: Path, tmp_path: Path) -> None:
    config = serve_config(
        tiny_encoder_path,
        tmp_path,
        limits={"max_statements": 4, "max_chars": 300, "max_explain_statements": 1},
        explain={"n_steps": 4, "n_similar": 0},
    )
    app = make_client(store, config).app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        examples = 10 if "explain" in operation.path else 40  # integrated gradients is the slow one
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | operation.as_strategy(
            generation_mode=GenerationMode.NEGATIVE
        )

        @given(case=strategy)
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            headers = {"X-API-Key": API_KEY} if "activate" in case.path else None
            response = case.call(headers=headers)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
            assert API_KEY not in response.text

        run()
    assert {"POST /v1/predict", "POST /v1/explain", "GET /v1/models", "POST /v1/models/{model_id}/activate"} <= set(
        labels
    )
