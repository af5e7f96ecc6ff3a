"""Request and response bodies of the HTTP API. Requests are strict: an unknown field is a 422, not ignored."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from deep_classiflie.core.errors import DeepClassiflieError
from deep_classiflie.dataset.types import STATEMENT_TYPES, check_statement_type


def _statement_type(value: str) -> str:
    try:
        return check_statement_type(value)
    except DeepClassiflieError as exc:
        raise ValueError(str(exc)) from None  # "unknown statement type 'x' — use one of: tweet, non_tweet, …"


# Validated through check_statement_type (so the error lists the valid ones) and an enum in the OpenAPI schema.
StatementType = Annotated[
    str,
    AfterValidator(_statement_type),
    WithJsonSchema({"type": "string", "enum": list(STATEMENT_TYPES), "default": "non_tweet"}),
]


class Strict(BaseModel):
    """Request base: unknown fields are rejected (a misspelt ``statment_type`` must not silently change a score)."""

    model_config = ConfigDict(extra="forbid")


class StatementIn(Strict):
    """One statement to score. Its length limit is ``serve.limits.max_chars`` (checked by the route)."""

    text: str = Field(min_length=1, description="the statement's words")
    statement_type: StatementType = "non_tweet"
    date: dt.date | None = Field(default=None, description="when it was said (optional)")


class PredictRequest(Strict):
    """One or more statements (at most ``serve.limits.max_statements``)."""

    statements: list[StatementIn] = Field(min_length=1)


class ExplainStatementIn(StatementIn):
    """A statement to explain; ``statement_id`` links the card to a stored statement."""

    statement_id: int | None = Field(default=None, ge=1)
    source_url: str | None = Field(default=None, max_length=2000)


class ExplainRequest(Strict):
    """Statements to explain (at most ``serve.limits.max_explain_statements``)."""

    statements: list[ExplainStatementIn] = Field(min_length=1)


class ModelRef(BaseModel):
    """The model version that answered."""

    id: int
    name: str


class Prediction(BaseModel):
    """Score of one statement. ``label`` uses the model's stored threshold for its type; ``bucket`` is the
    test-split track record of its confidence bucket, when the model has been evaluated."""

    probability: float
    label: str  # "likely falsehood" | "not flagged"
    threshold: float
    confidence: float
    statement_type: str
    bucket: dict[str, Any] | None = None


class PredictResponse(BaseModel):
    """One prediction per statement, in the order sent."""

    model: ModelRef
    predictions: list[Prediction]


class ExplainResponse(BaseModel):
    """One card (schema 1 of the explain stage) per statement."""

    model: ModelRef
    cards: list[dict[str, Any]]


class ActivateResponse(BaseModel):
    """An activation accepted: the version loads in the background, then replaces the active one."""

    status: str
    model: ModelRef


class ModelsResponse(BaseModel):
    """The active version (with its metrics), a load in progress, the last failure and every registered version."""

    active: dict[str, Any] | None
    loading: dict[str, Any] | None
    last_error: str | None
    versions: list[dict[str, Any]] | None  # None while the store is unreachable
