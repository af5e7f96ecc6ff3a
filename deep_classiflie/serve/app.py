"""The inference service: ``create_app`` builds the FastAPI app around one loaded model version.

Routes: ``GET /health``, ``GET /model``, ``POST /predict``. Errors of the platform map to HTTP
status codes (bad input 422, no model 503) with the same message and hint the CLI prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from deep_classiflie.config.ingest import NormaliseConfig
from deep_classiflie.core.errors import DeepClassiflieError
from deep_classiflie.core.text import normalise
from deep_classiflie.dataset.types import type_id
from deep_classiflie.evaluate.buckets import BucketTable
from deep_classiflie.model.classifier import Classifier, binary_verdict


class PredictRequest(BaseModel):
    """One or more statements of one type."""

    texts: list[str] = Field(min_length=1, max_length=256)
    statement_type: str = "non_tweet"


class Prediction(BaseModel):
    """Score of one statement; ``bucket`` is its confidence bucket's test-split record when stored."""

    text: str
    probability: float
    label: str  # "likely falsehood" | "not flagged"
    confidence: float
    bucket: dict[str, Any] | None = None


@dataclass
class Served:
    """What the app serves: the model row, its classifier and (optionally) its bucket table."""

    model: dict[str, Any]
    classifier: Classifier
    buckets: BucketTable | None
    threshold: float = 0.5
    rules: NormaliseConfig = field(default_factory=NormaliseConfig)


def load_served(engine: Engine, ref: str | None, *, threshold: float) -> Served:
    """Resolve and load a model version and, when it has been evaluated, its confidence buckets."""
    from deep_classiflie.evaluate.run import load_bucket_table
    from deep_classiflie.model.resolve import load_registered

    row, classifier = load_registered(engine, ref)
    table = load_bucket_table(engine, model_version_id=int(row["id"]))
    return Served(model=row, classifier=classifier, buckets=table if table.by_scope else None, threshold=threshold)


def create_app(served: Served) -> FastAPI:
    """The app; tests build it around a model trained on the tiny encoder."""
    app = FastAPI(title="Deep Classiflie", version="0.1.0")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/model")
    def model() -> dict[str, Any]:
        keys = ("id", "name", "kind", "task", "encoder", "weights_sha256", "created_at")
        return {k: served.model.get(k) for k in keys}

    @app.post("/predict")
    def predict(request: PredictRequest) -> list[Prediction]:
        texts = [normalise(t, served.rules) for t in request.texts]
        if not all(texts):
            raise HTTPException(422, "a text is empty after cleaning — send the statement's words")
        if served.classifier.num_classes != 2:
            raise HTTPException(501, "this service scores binary falsehood models only")
        types = np.full(len(texts), type_id(request.statement_type), dtype=np.int64)
        probs = served.classifier.predict_proba(texts, types)[:, 1]
        out = []
        for raw, p in zip(request.texts, probs, strict=True):
            label, conf = binary_verdict(float(p), served.threshold)
            bucket = None
            if served.buckets is not None:
                try:
                    bucket = served.buckets.bucket_for(conf, request.statement_type).as_row()
                except DeepClassiflieError:
                    bucket = None
            out.append(Prediction(text=raw, probability=float(p), label=label, confidence=conf, bucket=bucket))
        return out

    return app
