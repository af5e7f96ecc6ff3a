"""The model card matches its golden patterns; the pure report and comparison hold together."""

from __future__ import annotations

import datetime as dt
import functools
import re

import numpy as np
import pytest

from deep_classiflie.config.evaluate import EvaluateConfig
from deep_classiflie.evaluate.card import card_context, render_card
from deep_classiflie.evaluate.compare import compare_metrics
from deep_classiflie.evaluate.realised import match_labels
from deep_classiflie.evaluate.report import Predictions, evaluate_arrays, metric_rows

# One pattern per section: the structure is fixed, the numbers may vary.
GOLDEN = {
    "title": r"^# Model card: demo-head\n",
    "model": r"## Model\n\n\| field \| value \|\n\|---\|---\|\n\| id \| \d+ \|\n\| kind \| head_on_cached_features \|",
    "data": r"## Data\n\nDataset collection \*\*trump_falsehoods\*\* \(id \d+, task falsehood_binary, content hash `[0-9a-f]+`",
    "splits": r"## Splits\n\nRows per split and class:\n\n```json\n\{\n  \"test\"",
    "schedule": r"## Training schedule\n\n(- \w+: .+\n)+",
    "metrics": r"## Metrics\n\nSplit `test`.*\n\n\| scope \| metric \| value \| 95% CI \| n \|\n(\|.*\|\n)*"
    r"\| all \| auc \| 0\.\d{3} \| \[0\.\d{3}, [01]\.\d{3}\] \| 400 \|",
    "per_type": r"\| tweet \| mcc \| -?[01]\.\d{3} \| \[-?[01]\.\d{3}, -?[01]\.\d{3}\] \| \d+ \|",
    "buckets": r"## Confidence buckets\n\n.*\n\n\| scope \| bucket \|.*\n\|---.*\n(\| (all|tweet|non_tweet) \| \d+ \| \d+ \| 0\.\d{3}–[01]\.\d{3} \|.*\n)+",
    "calibration": r"## Calibration\n\nTemperature scaling: T = \d+\.\d{4}, fitted on `val` \(\d+ rows\); ECE 0\.\d{4} → 0\.\d{4}\.",
    "caveats": r"## Caveats\n\n- A \"truth\" here means .*\n- .*\n- .*\n\nLeakage and balance report of the dataset:\n\n```json\n\{\n  \"by_period\"",
}


def _predictions(n: int = 400, seed: int = 0) -> Predictions:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
    dates = np.datetime64("2019-07-08") + rng.integers(0, 60, n).astype("timedelta64[D]")
    return Predictions(
        np.arange(n), p, y, rng.integers(0, 2, n), dates.astype("datetime64[s]"), rng.integers(7, 100, n)
    )


@functools.cache
def _card() -> str:
    result = evaluate_arrays(_predictions(), EvaluateConfig(bootstrap_samples=100))
    rows = metric_rows(result)
    buckets = [b.as_row() for b in result.buckets.rows()] if result.buckets else []
    model = {
        "id": 3,
        "name": "demo-head",
        "kind": "head_on_cached_features",
        "task": "falsehood_binary",
        "encoder": "all-MiniLM-L6-v2",
        "weights_sha256": "ab" * 32,
        "created_at": dt.datetime(2024, 1, 2),
        "config": {"train": {"epochs": 30, "lr": 0.001}, "schedule": [{"phase": 0, "params": ["head.*"]}]},
    }
    collection = {
        "id": 1,
        "name": "trump_falsehoods",
        "task": "falsehood_binary",
        "content_hash": "cd" * 32,
        "created_at": dt.datetime(2024, 1, 1),
        "config": {"min_words": 7},
        "counts": {"test": {"0": 200, "1": 200}},
        "report": {"by_period": {"2019-07": {"0": 3, "1": 9}}},
    }
    calibration = {
        "method": "temperature",
        "temperature": 1.7,
        "fitted_on": "val",
        "n": 90,
        "ece_before": 0.1,
        "ece_after": 0.03,
    }
    return render_card(card_context(model, collection, rows, buckets, calibration))


@pytest.mark.parametrize("section", list(GOLDEN), ids=list(GOLDEN))
def test_card_golden_patterns(section: str) -> None:
    assert re.search(GOLDEN[section], _card(), flags=re.MULTILINE), f"section {section!r} does not match"


def test_card_without_metrics_or_collection() -> None:
    card = render_card(card_context({"name": "bare", "config": {}}, None, [], [], None))
    assert "No dataset collection is recorded" in card and "No metrics stored yet" in card
    assert "No post-hoc calibration fitted." in card


def test_report_scopes_buckets_and_rows() -> None:
    preds = _predictions()
    result = evaluate_arrays(preds, EvaluateConfig(bootstrap_samples=20))
    assert set(result.metrics) == {"all", "tweet", "non_tweet"}
    assert result.counts["tweet"] + result.counts["non_tweet"] == 400
    assert sum(map(sum, result.confusion["all"])) == 400
    assert sum(p.n for p in result.temporal) == 400
    assert result.buckets is not None and len(result.buckets.by_scope["tweet"]) == 10
    rows = metric_rows(result)
    assert {"split", "scope", "metric", "value", "ci_low", "ci_high"} == set(rows[0])
    assert any(r["scope"] == "bucket:all:25" for r in rows)


def test_report_multiclass() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(6), 120)
    preds = Predictions(
        np.arange(120),
        probs,
        rng.integers(0, 6, 120),
        np.ones(120, int),
        np.full(120, np.datetime64("NaT"), "datetime64[s]"),
        np.ones(120),
    )
    result = evaluate_arrays(preds, EvaluateConfig(bootstrap_samples=10))
    assert result.num_classes == 6 and result.buckets is None
    assert set(result.metrics["all"]) == {"accuracy", "macro_f1", "mcc"}
    assert np.array(result.confusion["all"]).shape == (6, 6)


def test_compare_deltas() -> None:
    a = [
        {"split": "test", "scope": "all", "metric": "auc", "value": 0.8},
        {"split": "test", "scope": "all", "metric": "ece", "value": 0.1},
    ]
    b = [
        {"split": "test", "scope": "all", "metric": "auc", "value": 0.9},
        {"split": "test", "scope": "all", "metric": "ece", "value": 0.2},
    ]
    rows = {r.metric: r for r in compare_metrics(a, b)}
    assert rows["auc"].delta == pytest.approx(0.1) and rows["auc"].better == "B"
    assert rows["ece"].better == "A"  # lower is better


def test_realised_matching_rules() -> None:
    pub = dt.datetime(2020, 1, 10)
    base = {"channel": "bot", "statement_type": "tweet", "published_at": pub, "probability": 0.8, "predicted_label": 1}
    rows = [
        {**base, "publication_id": 1, "statement_id": 1, "label_class": None, "label_time": None},
        {**base, "publication_id": 2, "statement_id": 2, "label_class": 1, "label_time": pub + dt.timedelta(hours=1)},
        {**base, "publication_id": 3, "statement_id": 3, "label_class": 1, "label_time": pub - dt.timedelta(hours=1)},
    ]
    items, before = match_labels(rows)
    assert before == 1
    assert [(i.statement_id, i.realised_label, i.labelled_after) for i in items] == [(1, 0, False), (2, 1, True)]
