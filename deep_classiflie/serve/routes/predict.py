"""``POST /v1/predict``: score statements through the micro-batcher."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException

from deep_classiflie.core.text import normalise, text_hash
from deep_classiflie.dataset.types import type_id
from deep_classiflie.model.classifier import FLAGGED, binary_verdict
from deep_classiflie.serve.batching import QueueFull
from deep_classiflie.serve.deps import Current, Reader, State
from deep_classiflie.serve.limits import check_statements
from deep_classiflie.serve.schemas import Prediction, PredictRequest, PredictResponse
from deep_classiflie.serve.served import Served
from deep_classiflie.serve.state import ServiceState

router = APIRouter(tags=["predict"])


async def score(state: ServiceState, served: Served, texts: list[str], meta: list[dict[str, Any]]) -> list[float]:
    """P(falsehood) of each cleaned text via the batcher: 503 + Retry-After when the queue is full, 504 on timeout.

    ``meta``: one dict per text (``statement_type``, ``date``; a hybrid head reads them).
    """
    batching = state.config.serve.batching
    types = [type_id(m["statement_type"]) for m in meta]
    try:
        probs = await asyncio.wait_for(
            state.batcher.submit(served, texts, types, meta), timeout=batching.request_timeout_s
        )
    except QueueFull as exc:
        state.metrics.errors.labels(kind="queue_full").inc()
        raise HTTPException(503, f"the service is busy: {exc}", {"Retry-After": str(batching.retry_after_s)}) from None
    except TimeoutError:
        state.metrics.errors.labels(kind="timeout").inc()
        raise HTTPException(
            504, f"not answered within {batching.request_timeout_s} s (serve.batching.request_timeout_s)"
        ) from None
    return [float(p) for p in probs]


def prediction(served: Served, probability: float, statement_type: str) -> Prediction:
    """Label with the model's stored threshold for this type, confidence and the bucket's track record."""
    threshold = served.classifier.threshold_for(statement_type)
    label, confidence = binary_verdict(probability, threshold)
    bucket = served.bucket_row(confidence, statement_type)
    return Prediction(
        probability=probability,
        label=label,
        threshold=threshold,
        confidence=confidence,
        statement_type=statement_type,
        bucket=bucket,
    )


def cleaned(served: Served, raw: list[str]) -> list[str]:
    """Texts normalised as ingest stores them; 422 naming the first one that is empty after cleaning."""
    texts = [normalise(t, served.rules) for t in raw]
    for i, text in enumerate(texts):
        if not text:
            raise HTTPException(422, f"statement {i} is empty after cleaning — send the statement's words")
    return texts


@router.post("/v1/predict", dependencies=[Reader])
async def predict(body: PredictRequest, state: State, served: Current) -> PredictResponse:
    """Probability, label, confidence and the confidence bucket's record of each statement."""
    raw = [s.text for s in body.statements]
    check_statements(
        raw,
        limits=state.config.serve.limits,
        max_statements=state.config.serve.limits.max_statements,
        limit_name="max_statements",
    )
    texts = cleaned(served, raw)
    types = [s.statement_type for s in body.statements]
    meta = [{"statement_type": s.statement_type, "date": s.date} for s in body.statements]
    probs = await score(state, served, texts, meta)
    out = [prediction(served, p, t) for p, t in zip(probs, types, strict=True)]
    if state.recorder is not None:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        vid = served.ref["id"]
        state.recorder.add(
            [
                {
                    "model_version_id": vid,
                    "text_hash": text_hash(text),
                    "statement_type": p.statement_type,
                    "probability": p.probability,
                    "predicted_label": int(p.label == FLAGGED),
                    "confidence": p.confidence,
                    "created_at": now,
                }
                for text, p in zip(texts, out, strict=True)
            ]
        )
    return PredictResponse(model=served.ref, predictions=out)  # type: ignore[arg-type]
