"""FastAPI dependencies (``Annotated``, so tests can override them): the service state and the auth checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from deep_classiflie.serve.auth import HEADER, check_key
from deep_classiflie.serve.served import Served
from deep_classiflie.serve.state import ServiceState

_api_key = APIKeyHeader(name=HEADER, auto_error=False, description="DC_API_KEY of the service")


# Dependencies are ``async def`` so FastAPI runs them inline: a sync one costs a thread-pool hop per request.


async def get_state(request: Request) -> ServiceState:
    """The state built by ``create_app``."""
    state: ServiceState = request.app.state.dc
    return state


State = Annotated[ServiceState, Depends(get_state)]


async def require_admin(state: State, key: Annotated[str | None, Security(_api_key)]) -> None:
    """Admin routes (anything that changes the service or the store) need the key."""
    check_key(state.api_key, key, admin=True)


async def require_reader(state: State, key: Annotated[str | None, Security(_api_key)]) -> None:
    """Read routes need the key only with ``serve.auth_reads``."""
    if state.config.serve.auth_reads:
        check_key(state.api_key, key, admin=False)


async def current_model(state: State) -> Served:
    """The model answering new requests; 503 while none is loaded."""
    served = state.holder.current
    if served is None:
        raise HTTPException(503, "no model is loaded yet", {"Retry-After": "5"})
    return served


Admin = Depends(require_admin)
Reader = Depends(require_reader)
Current = Annotated[Served, Depends(current_model)]
