"""Step 1 of the binary falsehood task: which unlabelled statements may serve as truths."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from deep_classiflie.dataset.records import Record


def date_window(falsehoods: Sequence[Record]) -> tuple[dt.datetime, dt.datetime] | None:
    """First and last falsehood date as whole days ``[first 00:00, last+1 00:00)``; None without dates."""
    days = [r.day for r in falsehoods if r.day is not None]
    if not days:
        return None
    start = dt.datetime.combine(min(days), dt.time())
    return start, dt.datetime.combine(max(days), dt.time()) + dt.timedelta(days=1)


def falsehood_months(falsehoods: Iterable[Record]) -> set[str]:
    """``YYYY-MM`` of every month with at least one dated falsehood."""
    return {r.month for r in falsehoods if r.date is not None}


def select_candidate_truths(
    statements: Iterable[Record],
    falsehoods: Sequence[Record],
    *,
    min_words: int,
    max_words: int,
    stream_types: Sequence[str],
    truth_dates: str = "span",
) -> list[Record]:
    """Candidate truths, sorted by statement id, labelled 0.

    Kept: statements that are not falsehoods, not retweets, of ``stream_types``, with
    ``min_words <= word_count <= max_words``, dated within the falsehoods' date range (``span``)
    or, stricter, within a month that has falsehoods (``falsehood_months``).
    """
    window = date_window(falsehoods)
    if window is None:
        return []
    start, end = window
    months = falsehood_months(falsehoods)
    false_ids = {r.statement_id for r in falsehoods}
    types = set(stream_types)
    out = []
    for rec in statements:
        if rec.statement_id in false_ids or rec.is_retweet or rec.date is None:
            continue
        if rec.statement_type not in types or not min_words <= rec.word_count <= max_words:
            continue
        if not start <= rec.date < end:
            continue
        if truth_dates == "falsehood_months" and rec.month not in months:
            continue
        out.append(rec.with_label(0))
    return sorted(out, key=lambda r: r.statement_id)
