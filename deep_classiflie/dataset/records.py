"""In-memory rows the pure dataset steps work on (the SQL edge turns store rows into these)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Record:
    """One statement with what the dataset steps need. ``label`` is -1 for an unlabelled candidate truth."""

    statement_id: int
    text: str
    text_hash: str
    date: dt.datetime | None
    statement_type: str
    word_count: int
    label: int = -1
    is_retweet: bool = False
    source_label: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def with_label(self, label: int) -> Record:
        """A copy carrying ``label``."""
        return replace(self, label=label)

    @property
    def day(self) -> dt.date | None:
        """Calendar day (UTC) or None."""
        return self.date.date() if self.date is not None else None

    @property
    def month(self) -> str:
        """``YYYY-MM`` or ``unknown``."""
        return self.date.strftime("%Y-%m") if self.date is not None else "unknown"


@dataclass(frozen=True)
class Exclusion:
    """A truth left out of a dataset because it (nearly) duplicates a falsehood. Raw rows stay in the store."""

    statement_id: int
    matched_statement_id: int | None
    reason: str  # hash | embedding_input | embedding_contextual
    distance: float | None


@dataclass(frozen=True)
class Member:
    """A statement's place in a dataset: split, class and (training) copies."""

    record: Record
    split: str  # train | val | test
    copies: int = 1
    weight: float = 1.0
