"""``GET /healthz`` (process alive), ``GET /readyz`` (model loaded and store reachable), ``GET /metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from deep_classiflie.serve.deps import State

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers (says nothing about the model or the store)."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(state: State) -> JSONResponse:
    """200 when a model is loaded and the store answers; 503 otherwise (checked again on the next probe)."""
    model_ok = state.holder.current is not None
    store_ok = await state.store_reachable()
    ready = model_ok and store_ok
    body = {"ready": ready, "model_loaded": model_ok, "store_reachable": store_ok}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(state: State) -> Response:
    """Prometheus text format."""
    state.metrics.queue_depth.set(state.batcher.depth)
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
