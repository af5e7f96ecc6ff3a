"""``POST /v1/explain``: the explain stage's card data (attributions, similar statements, bucket, metrics)."""

from __future__ import annotations

import importlib
import threading
from typing import Any

from fastapi import APIRouter, HTTPException
from starlette.concurrency import run_in_threadpool

from deep_classiflie.serve.deps import Current, Reader, State
from deep_classiflie.serve.limits import check_statements
from deep_classiflie.serve.routes.predict import cleaned
from deep_classiflie.serve.schemas import ExplainRequest, ExplainResponse
from deep_classiflie.serve.threads import run_in_fresh_thread

router = APIRouter(tags=["explain"])

# Integrated gradients is CPU-heavy: one explanation at a time, so predictions keep most of the cores.
_ONE_AT_A_TIME = threading.Lock()


def explain_api() -> Any:
    """The explain stage's API module, or 503 when that stage is not installed."""
    try:
        return importlib.import_module("deep_classiflie.explain.api")
    except ImportError:
        raise HTTPException(503, "explain stage not installed (install deep-classiflie[explain])") from None


@router.post("/v1/explain", dependencies=[Reader])
async def explain(body: ExplainRequest, state: State, served: Current) -> ExplainResponse:
    """One card (explain schema 1) per statement, computed with the active model."""
    limits = state.config.serve.limits
    raw = [s.text for s in body.statements]
    check_statements(
        raw, limits=limits, max_statements=limits.max_explain_statements, limit_name="max_explain_statements"
    )
    texts = cleaned(served, raw)
    api = explain_api()
    items = [
        api.ExplainInput(
            text=text,
            statement_type=s.statement_type,
            statement_id=s.statement_id,
            date=s.date,
            source_url=s.source_url,
        )
        for text, s in zip(texts, body.statements, strict=True)
    ]

    def run() -> list[dict[str, Any]]:
        with _ONE_AT_A_TIME:
            cards: list[dict[str, Any]] = api.build_cards(
                state.engine, served.model, served.classifier, items, state.config.explain
            )
            return cards

    # In a thread that exits afterwards, so its OpenMP team does not outlive it (serve/threads.py).
    cards = await run_in_threadpool(run_in_fresh_thread, run, name="dc-explain")
    return ExplainResponse(model=served.ref, cards=cards)  # type: ignore[arg-type]
