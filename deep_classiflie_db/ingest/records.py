"""What parsers yield and what a run reports: plain, picklable records.

Parsers yield :class:`StatementRecord` (maybe with a :class:`LabelRecord`), :class:`Reject` for input
they cannot use, and :class:`Skip` for input a configured filter leaves out; every input unit becomes
exactly one of the three, so nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, overload


@dataclass(frozen=True, slots=True)
class LabelRecord:
    """A fact-check verdict on a statement: the rater's own label and the task's class (1 = falsehood)."""

    rating_source: str
    source_label: str
    label_class: int
    correction: str | None = None
    url: str | None = None
    labelled_at: dt.datetime | None = None


@dataclass(slots=True)  # not frozen: a frozen init costs 1 µs more per record, a tenth of an import's parsing
class StatementRecord:
    """One statement as read from a source (text not yet normalised)."""

    external_id: str
    text: str
    statement_date: dt.datetime | None
    statement_type: str
    is_retweet: bool = False
    meta: dict[str, Any] | None = None
    speaker: str | None = None
    label: LabelRecord | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """Input that cannot be used: where it was, why, and the original text."""

    location: str
    reason: str
    raw: str | None


@dataclass(frozen=True, slots=True)
class Skip:
    """Input left out on purpose by a configured filter (counted in the report, not stored)."""

    location: str
    reason: str


@dataclass(frozen=True)
class SourceSpec:
    """A source of statements; ``kind`` is label_source | statement_stream | benchmark."""

    name: str
    kind: str
    description: str | None = None
    url: str | None = None


@dataclass
class IngestReport:
    """What one run read and did."""

    source: str
    run_id: int
    read: int = 0
    inserted: int = 0
    duplicate: int = 0
    rejected: int = 0
    labels_inserted: int = 0
    watermark: str | None = None
    skipped: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


Item = StatementRecord | Reject | Skip


@overload
def to_naive_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def to_naive_utc(value: None) -> None: ...
@overload
def to_naive_utc(value: dt.datetime | None) -> dt.datetime | None: ...
def to_naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    """The store keeps naive UTC datetimes on both engines."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)
