"""Step 1: candidate truths."""

from __future__ import annotations

from typing import Any

from deep_classiflie.dataset.candidates import date_window, select_candidate_truths
from tests.dataset.helpers import rec

FALSEHOODS = [rec(1, "2017-03-10", label=1, stype="speech"), rec(2, "2017-05-20", label=1)]


def test_date_window_spans_whole_days() -> None:
    start, end = date_window(FALSEHOODS)  # type: ignore[misc]
    assert (start.isoformat(), end.isoformat()) == ("2017-03-10T00:00:00", "2017-05-21T00:00:00")


def test_candidates_filter_by_type_length_retweet_and_dates() -> None:
    statements = [
        rec(10, "2017-03-10"),  # first day: kept
        rec(11, "2017-05-20"),  # last day: kept
        rec(12, "2017-03-09"),  # before
        rec(13, "2017-05-21"),  # after
        rec(14, "2017-04-01", words=6),  # too short
        rec(15, "2017-04-01", words=108),  # too long
        rec(16, "2017-04-01", words=107),  # longest kept
        rec(17, "2017-04-01", retweet=True),
        rec(18, "2017-04-01", stype="speech"),  # not a truth stream type
        rec(19, None),
        rec(2, "2017-05-20"),  # a falsehood itself
    ]
    out = select_candidate_truths(
        reversed(statements), FALSEHOODS, min_words=7, max_words=107, stream_types=["tweet"], truth_dates="span"
    )
    assert [(r.statement_id, r.label) for r in out] == [(10, 0), (11, 0), (16, 0)]


def test_falsehood_months_drops_months_without_falsehoods() -> None:
    statements = [rec(10, "2017-03-15"), rec(11, "2017-04-15"), rec(12, "2017-05-01")]
    kw: dict[str, Any] = {"min_words": 7, "max_words": 107, "stream_types": ["tweet"]}
    assert [r.statement_id for r in select_candidate_truths(statements, FALSEHOODS, **kw, truth_dates="span")] == [
        10,
        11,
        12,
    ]
    months = select_candidate_truths(statements, FALSEHOODS, **kw, truth_dates="falsehood_months")
    assert [r.statement_id for r in months] == [10, 12]


def test_no_dated_falsehoods_means_no_candidates() -> None:
    out = select_candidate_truths([rec(10)], [rec(1, None, label=1)], min_words=1, max_words=99, stream_types=["tweet"])
    assert out == []
