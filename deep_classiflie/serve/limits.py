"""Request limits and the error bodies that name them.

The body size is enforced before anything is parsed (``BodyLimitMiddleware``: 413), the number of statements and
their length by :func:`check_statements` (422). Validation errors are answered without echoing the input back
(a 100 kB text, or a secret pasted into the wrong field, is not repeated to the client or to logs).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deep_classiflie.config.serve import LimitsConfig


def too_large_body(max_bytes: int) -> bytes:
    """The 413 body (JSON) naming the limit."""
    detail = f"request body is larger than {max_bytes} bytes (serve.limits.max_body_bytes)"
    return json.dumps({"detail": detail}).encode()


class BodyLimitMiddleware:
    """Pure ASGI middleware: a body over ``max_bytes`` (declared or streamed) is answered 413 unread."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, send: Send) -> None:
        body = too_large_body(self.max_bytes)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._reject(send)
                    return
        # A body without Content-Length (chunked) is read here, up to the limit, then replayed to the app.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message), send)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._reject(send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)


def _replay(chunks: list[bytes], first: Message | None, then: Receive | None = None) -> Receive:
    """A ``receive`` that hands over the buffered body once, then defers to the real one (disconnects)."""
    pending: list[Message] = [first] if first is not None else [{"type": "http.request", "body": b"".join(chunks)}]

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is None:
            return {"type": "http.disconnect"}
        return await then()

    return receive


def check_statements(texts: Sequence[str], *, limits: LimitsConfig, max_statements: int, limit_name: str) -> None:
    """422 when there are more statements than ``max_statements`` or one is longer than ``max_chars``."""
    if len(texts) > max_statements:
        raise HTTPException(
            422, f"{len(texts)} statements in one call; the limit is {max_statements} (serve.limits.{limit_name})"
        )
    for i, text in enumerate(texts):
        if len(text) > limits.max_chars:
            raise HTTPException(
                422,
                f"statement {i} has {len(text)} characters; the limit is {limits.max_chars} (serve.limits.max_chars)",
            )


def _clean(error: dict[str, Any]) -> dict[str, Any]:
    return {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """422 with where and what for each error, without the offending input."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse(status_code=422, content={"detail": [_clean(e) for e in errors]})
