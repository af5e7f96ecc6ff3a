"""Pure feed building: items, labels at the threshold, bucket and metric summaries, source URLs, rendering."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from deep_classiflie.evaluate.buckets import BucketStats, BucketTable
from deep_classiflie.publish.feed import (
    ModelContext,
    feed_document,
    feed_item,
    metrics_by_scope,
    render,
    source_url,
)

NAN = float("nan")


def stats(scope: str, bucket: int, hi: float, npv: float = 0.8) -> BucketStats:
    return BucketStats(scope, bucket, 10, hi - 0.1, hi, 0.7, 0.6, npv, 0.5, 0.5, 0.2, 0.3, 0.2, 0.3, 9.0)


TABLE = BucketTable([stats("tweet", 1, 0.7, npv=NAN), stats("tweet", 2, 1.0), stats("all", 1, 1.0)])
CTX = ModelContext(7, "m", TABLE, {"all": {"auc": 0.9}, "tweet": {"auc": 0.8}, "non_tweet": {"auc": 0.95}})
ROW = {"statement_id": 3, "text": "t", "statement_type": "tweet", "statement_date": dt.datetime(2021, 2, 3, 4, 5)}


def test_metrics_by_scope_leaves_out_bucket_scopes_and_nan() -> None:
    rows = [
        {"scope": "all", "metric": "auc", "value": 0.9},
        {"scope": "all", "metric": "ece", "value": NAN},
        {"scope": "bucket:3", "metric": "ppv", "value": 0.5},
    ]
    assert metrics_by_scope(rows) == {"all": {"auc": 0.9, "ece": None}}


@pytest.mark.parametrize(
    ("probability", "threshold", "label", "predicted"),
    [(0.4, 0.4, "likely falsehood", 1), (0.3999994, 0.4, "not flagged", 0), (0.9, 0.95, "not flagged", 0)],
    ids=["at-threshold-flags", "below", "high-threshold"],
)
def test_label_follows_the_threshold(probability: float, threshold: float, label: str, predicted: int) -> None:
    item, got = feed_item(ROW, probability, threshold, CTX)
    assert (item["label"], got) == (label, predicted)


def test_item_carries_bucket_metrics_and_model() -> None:
    item, _ = feed_item(ROW, 0.35, 0.5, CTX)  # confidence 0.65: the tweet table's first bucket
    assert item["bucket"] == {"scope": "tweet", "bucket": 1, "n": 10, "accuracy": 0.7, "ppv": 0.6, "npv": None}
    assert item["global_metrics"] == {"all": {"auc": 0.9}, "tweet": {"auc": 0.8}}
    assert (item["date"], item["model_version"], item["probability"]) == ("2021-02-03T04:05:00", 7, 0.35)
    speech, _ = feed_item({**ROW, "statement_type": "speech"}, 0.99, 0.5, CTX)
    assert speech["bucket"]["scope"] == "all"  # no non_tweet buckets stored: the all-statements table
    assert set(speech["global_metrics"]) == {"all", "non_tweet"}
    assert feed_item(ROW, 0.3, 0.5, ModelContext(7, "m", None, {}))[0]["bucket"] is None


@pytest.mark.parametrize(
    ("row", "url"),
    [
        ({"meta": {"url": "https://x.org/a"}, "statement_type": "speech"}, "https://x.org/a"),
        ({"meta": None, "statement_type": "tweet", "external_id": "123"}, "https://twitter.com/i/web/status/123"),
        ({"meta": {}, "statement_type": "tweet", "external_id": "tw-1"}, None),
        ({"meta": None, "statement_type": "speech", "external_id": "99"}, None),
    ],
    ids=["stored-url", "tweet-id", "tweet-without-numeric-id", "speech-without-url"],
)
def test_source_url(row: dict, url: str | None) -> None:
    assert source_url(row) == url


def test_document_renders_as_strict_json() -> None:
    item, _ = feed_item(ROW, 0.5, 0.5, CTX)
    doc = feed_document(CTX, [item], dt.datetime(2026, 1, 2, 3, 4, 5, 678))
    assert json.loads(render(doc)) == {
        "schema": 1,
        "generated_at": "2026-01-02T03:04:05Z",
        "model": {"id": 7, "name": "m"},
        "items": [item],
    }
    with pytest.raises(ValueError):
        render({"x": NAN})
