"""``GET /v1/models`` and ``POST /v1/models/{model_id}/activate`` (admin: background load, atomic swap)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from deep_classiflie.core.errors import DeepClassiflieError
from deep_classiflie.serve.deps import Admin, Reader, State
from deep_classiflie.serve.schemas import ActivateResponse, ModelsResponse
from deep_classiflie.serve.served import MODEL_KEYS, Served

router = APIRouter(tags=["models"])

MAX_ID = 2**31 - 1  # ids are INTEGER columns on both engines


def _versions(state: Any, active_id: int | None) -> list[dict[str, Any]]:
    from deep_classiflie_db.queries.models import list_model_versions

    rows = list_model_versions(state.engine)
    return [{**{k: r.get(k) for k in MODEL_KEYS}, "active": int(r["id"]) == active_id} for r in rows]


@router.get("/v1/models", dependencies=[Reader])
async def models(state: State) -> ModelsResponse:
    """The active version (metrics, thresholds, backend), any load in progress and every registered version."""
    served = state.holder.current
    active = served.describe() if served is not None else None
    try:
        versions = await run_in_threadpool(_versions, state, served.ref["id"] if served else None)
    except Exception:  # store away: the service still says what it serves
        versions = None
    return ModelsResponse(
        active=active, loading=state.holder.loading, last_error=state.holder.last_error, versions=versions
    )


@router.post("/v1/models/{model_id}/activate", status_code=202, dependencies=[Admin])
async def activate(model_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], state: State) -> ActivateResponse:
    """Load version ``model_id`` in the background; it answers new requests once loaded (in-flight ones finish
    on the current model) and becomes the store's active model (``load_registered(engine, None)``)."""
    from deep_classiflie.model.resolve import resolve_model_version
    from deep_classiflie_db.queries.models import activate_model_version

    try:
        target = await run_in_threadpool(resolve_model_version, state.engine, model_id)
    except DeepClassiflieError as exc:
        raise HTTPException(404, exc.message) from None
    if int(target["id"]) != model_id:  # a numeric name that is not this id
        raise HTTPException(404, f"no model version with id {model_id}")

    def persist(served: Served) -> None:
        activate_model_version(state.engine, model_version_id=served.ref["id"])

    started = state.holder.activate_in_background(target, lambda: state.load(model_id), persist)
    if not started:
        raise HTTPException(409, f"model version {state.holder.loading} is still loading; try again when it is done")
    return ActivateResponse(status="loading", model={"id": int(target["id"]), "name": str(target["name"])})  # type: ignore[arg-type]
