"""The inference service: ``build_state`` loads what it serves, ``create_app`` builds the FastAPI app around it.

Routes (one module per resource under ``routes/``): ``POST /v1/predict``, ``POST /v1/explain``, ``GET /v1/models``,
``POST /v1/models/{id}/activate`` (admin), ``GET /healthz``, ``GET /readyz``, ``GET /metrics``; OpenAPI at
``/openapi.json`` with ``/docs`` and ``/redoc`` served offline (or off, ``serve.docs``). The pre-v1 routes
(``/predict``, ``/model``, ``/health``) are gone. Platform errors map to HTTP status codes with the message and
hint the CLI prints.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.core.errors import ConfigError, DatasetError, DataSourceError, DeepClassiflieError
from deep_classiflie.serve.batching import MicroBatcher
from deep_classiflie.serve.limits import BodyLimitMiddleware, validation_error_handler
from deep_classiflie.serve.metrics import MetricsMiddleware, ServiceMetrics
from deep_classiflie.serve.recorder import PredictionRecorder
from deep_classiflie.serve.routes import explain, health, models, predict
from deep_classiflie.serve.served import ModelHolder, Served
from deep_classiflie.serve.state import ServiceState
from deep_classiflie.serve.threads import run_in_fresh_thread

log = logging.getLogger(__name__)

VERSION = "1.0.0"


def build_state(
    config: Config,
    engine: Engine,
    *,
    api_key: SecretStr | None,
    served: Served | None = None,
    ref: str | int | None = None,
) -> ServiceState:
    """The service's shared state; loads model ``ref`` (default: the active one) unless ``served`` is given."""
    serve = config.serve
    if serve.auth_reads and api_key is None:
        raise ConfigError("serve.auth_reads is on but DC_API_KEY is not set", hint="set DC_API_KEY, or turn it off")
    metrics = ServiceMetrics()
    batching = serve.batching
    batcher = MicroBatcher(
        max_batch_size=batching.max_batch_size,
        max_wait_ms=batching.max_wait_ms,
        max_queue=batching.max_queue,
        on_batch=metrics.observe_batch,
    )
    recorder = None
    if serve.recording.enabled:
        recorder = PredictionRecorder(
            engine,
            interval_s=serve.recording.flush_interval_s,
            max_pending=serve.recording.max_pending,
            on_written=metrics.recorded.inc,
            on_dropped=metrics.record_dropped.inc,
        )
    state = ServiceState(
        config=config, engine=engine, holder=ModelHolder(), batcher=batcher, metrics=metrics, recorder=recorder
    )
    state.api_key = api_key
    if served is None:  # loaded off the main thread: see serve/threads.py
        served = run_in_fresh_thread(lambda: state.load(ref), name="dc-load")
    state.holder.swap(served)
    return state


# Bad input → 422, a missing model or an unreachable store → 503; anything else of ours → 500 with its message.
_STATUS: tuple[tuple[type[DeepClassiflieError], int], ...] = (
    (DataSourceError, 422),
    (DatasetError, 422),
    (ConfigError, 422),
)


async def _platform_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 503)
    return JSONResponse(status_code=status, content={"detail": str(exc)})


def create_app(state: ServiceState) -> FastAPI:
    """The app around a built state (tests build it around a model trained on the tiny encoder)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.batcher.start()
        if state.recorder is not None:
            state.recorder.start()
        try:
            yield
        finally:
            await state.batcher.stop()
            if state.recorder is not None:
                state.recorder.stop()

    kwargs: dict[str, Any] = {"title": "Deep Classiflie", "version": VERSION, "lifespan": lifespan}
    if state.config.serve.docs == "offline":
        from fastapi_offline import FastAPIOffline

        app = FastAPIOffline(**kwargs)  # /docs and /redoc with their assets served from the package, no CDN
    else:
        app = FastAPI(docs_url=None, redoc_url=None, **kwargs)
    app.state.dc = state
    for module in (predict, explain, models, health):
        app.include_router(module.router)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(DeepClassiflieError, _platform_error)
    # Added last = outermost: metrics see every response (413s included); the body limit answers before parsing.
    app.add_middleware(BodyLimitMiddleware, max_bytes=state.config.serve.limits.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app
