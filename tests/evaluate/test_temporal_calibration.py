"""Temporal confusion periods and calibration (reliability, ECE, temperature scaling)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deep_classiflie.evaluate.calibration import (
    calibrate,
    fit_temperature,
    load_calibration,
    reliability_curve,
    save_calibration,
)
from deep_classiflie.evaluate.temporal import period_starts, temporal_confusion


def test_weeks_start_on_monday() -> None:
    dates = np.array(["2019-07-08", "2019-07-14", "2019-07-15", "NaT"], dtype="datetime64[s]")
    starts = period_starts(dates, "W")
    assert starts[:3].astype(str).tolist() == ["2019-07-08", "2019-07-08", "2019-07-15"]  # 8 July 2019 was a Monday
    assert np.isnat(starts[3])
    assert period_starts(dates[:1], "M").astype(str).tolist() == ["2019-07-01"]


def test_temporal_confusion_per_week() -> None:
    dates = np.array(["2019-07-08", "2019-07-09", "2019-07-16", "NaT"], dtype="datetime64[s]")
    periods = temporal_confusion(dates, np.array([1, 0, 1, 1]), np.array([1, 1, 0, 1]), "W")
    assert [(str(p.start), str(p.end), p.n, p.tp, p.fp, p.fn) for p in periods] == [
        ("2019-07-08", "2019-07-15", 2, 1, 1, 0),
        ("2019-07-15", "2019-07-22", 1, 0, 0, 1),
    ]


def test_reliability_and_ece() -> None:
    p = np.array([0.9, 0.9, 0.9, 0.9, 0.6, 0.6])
    y = np.array([1, 1, 1, 0, 1, 0])
    curve = reliability_curve(y, p, bins=10)
    assert sum(curve.counts) == 6
    # bin (.8,.9]: conf .9 acc .75; bin (.5,.6]: conf .6 acc .5
    assert curve.ece == pytest.approx(4 / 6 * 0.15 + 2 / 6 * 0.1)


def test_temperature_scaling_reduces_overconfidence(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1, 2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(-logits))).astype(int)
    overconfident = 1 / (1 + np.exp(-3 * logits))  # true T is 3
    cal = fit_temperature(y, probabilities=overconfident)
    assert cal.temperature == pytest.approx(3.0, rel=0.15)
    assert cal.nll_after < cal.nll_before and cal.ece_after < cal.ece_before
    fixed = calibrate(overconfident, cal.temperature)
    assert ((fixed >= 0.5) == (overconfident >= 0.5)).all()  # arg-max unchanged
    save_calibration(cal, tmp_path)
    assert load_calibration(tmp_path) == cal
    assert load_calibration(tmp_path / "missing") is None
