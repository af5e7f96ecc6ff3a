"""Confusion matrices over time: one per period (weekly by default) of the test window.

A model that learnt "when was it said" instead of "is it false" shows up here as periods where
it predicts one class only; the dataset's leakage report says where to look.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from deep_classiflie.evaluate.metrics import binary_counts, binary_from_counts

Freq = Literal["D", "W", "M"]
# numpy weeks start on Thursday (the epoch's weekday); shift by 3 days so periods start on Monday.
_MONDAY_SHIFT = np.timedelta64(3, "D")


@dataclass(frozen=True)
class PeriodConfusion:
    """Confusion counts of one period ``[start, end)``."""

    start: np.datetime64
    end: np.datetime64
    n: int
    tp: int
    tn: int
    fp: int
    fn: int
    accuracy: float
    mcc: float


def period_starts(dates: np.ndarray, freq: Freq = "W") -> np.ndarray:
    """Start of the period each date falls into (``datetime64[D]``); NaT stays NaT."""
    days = np.asarray(dates).astype("datetime64[D]")
    if freq == "D":
        return days
    if freq == "M":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    weeks = (days + _MONDAY_SHIFT).astype("datetime64[W]")
    return weeks.astype("datetime64[D]") - _MONDAY_SHIFT


def _period_end(start: np.datetime64, freq: Freq) -> np.datetime64:
    if freq == "D":
        return start + np.timedelta64(1, "D")
    if freq == "W":
        return start + np.timedelta64(7, "D")
    return (start.astype("datetime64[M]") + np.timedelta64(1, "M")).astype("datetime64[D]")


def temporal_confusion(
    dates: np.ndarray, labels: np.ndarray, predicted: np.ndarray, freq: Freq = "W"
) -> list[PeriodConfusion]:
    """Confusion counts per period, in date order; rows without a date are left out.

    Steps: 1) map each date to its period start; 2) drop NaT; 3) count per period.
    """
    starts = period_starts(dates, freq)
    known = ~np.isnat(starts)
    starts, y, p = starts[known], np.asarray(labels)[known], np.asarray(predicted)[known]
    out = []
    for start in np.unique(starts):
        m = starts == start
        c = {k: int(v) for k, v in binary_counts(y[m], p[m]).items()}
        r = binary_from_counts(**c)
        out.append(
            PeriodConfusion(
                start=start,
                end=_period_end(start, freq),
                n=int(m.sum()),
                accuracy=float(r["accuracy"]),
                mcc=float(r["mcc"]),
                **c,
            )
        )
    return out
