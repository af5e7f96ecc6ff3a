"""Base class of every config section: unknown keys are errors, assignments are validated."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A config section: ``extra="forbid"`` turns a misspelt key into an error."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
