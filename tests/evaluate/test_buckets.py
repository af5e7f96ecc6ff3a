"""Confidence buckets follow SQL NTILE exactly and map a confidence back to its bucket's stats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deep_classiflie.evaluate.buckets import BucketTable, bucket_stats, bucket_table, confidence, ntile, ntile_sizes


@pytest.mark.parametrize(
    ("rows", "buckets", "sizes"),
    [
        (10, 3, [4, 3, 3]),
        (11, 3, [4, 4, 3]),
        (12, 3, [4, 4, 4]),
        (2, 5, [1, 1]),
        (0, 4, []),
        (25, 25, [1] * 25),
        (26, 25, [2] + [1] * 24),
    ],
    ids=["10/3", "11/3", "12/3", "fewer-rows", "empty", "one-each", "one-extra"],
)
def test_ntile_sizes_table(rows: int, buckets: int, sizes: list[int]) -> None:
    assert ntile_sizes(rows, buckets).tolist() == sizes


@given(st.integers(0, 500), st.integers(1, 40))
def test_ntile_sizes_differ_by_at_most_one_larger_first(rows: int, buckets: int) -> None:
    sizes = ntile_sizes(rows, buckets)
    assert sizes.sum() == rows
    assert len(sizes) == min(rows, buckets)
    if len(sizes):
        assert sizes.max() - sizes.min() <= 1
        assert (np.diff(sizes) <= 0).all()


def test_ntile_orders_by_key_then_tie_break() -> None:
    keys = np.array([0.9, 0.6, 0.6, 0.8, 0.7])
    ids = np.array([5, 4, 3, 2, 1])
    # ordered: (0.6, 3), (0.6, 4), (0.7, 1), (0.8, 2), (0.9, 5) → buckets 1,1,2,2,3
    assert ntile(keys, 3, tie_break=ids).tolist() == [3, 1, 1, 2, 2]


def test_bucket_stats_counts() -> None:
    p = np.array([0.1, 0.2, 0.45, 0.55, 0.8, 0.95])  # confidences .9 .8 .55 .55 .8 .95
    y = np.array([0, 1, 0, 1, 1, 1])
    words = np.array([10, 20, 30, 40, 50, 60])
    stats = bucket_stats("all", p, y, words, np.arange(6), 2)
    low, high = stats
    assert (low.n, high.n) == (3, 3)
    # low bucket: p=.45 (c .55, pred 0, y 0), p=.55 (c .55, pred 1, y 1), p=.2 (c .8, id 1, pred 0, y 1)
    assert low.accuracy == pytest.approx(2 / 3)
    assert low.ppv == 1.0 and low.npv == pytest.approx(0.5)
    assert low.ppr == pytest.approx(1 / 3) and low.npr == pytest.approx(2 / 3)
    assert low.fn_ratio == pytest.approx(1 / 3)
    assert low.mean_word_count == pytest.approx(30.0)
    assert (low.min_confidence, low.max_confidence) == pytest.approx((0.55, 0.8))
    assert high.max_confidence == pytest.approx(0.95)


def test_bucket_for_lookup_and_fallbacks() -> None:
    rng = np.random.default_rng(3)
    p = rng.random(200)
    y = (rng.random(200) < p).astype(int)
    types = rng.integers(0, 2, 200)
    table = bucket_table(
        p, y, types, rng.integers(5, 50, 200), np.arange(200), {"all": 25, "tweet": 10, "non_tweet": 25}
    )
    assert len(table.by_scope["tweet"]) == 10 and len(table.by_scope["all"]) == 25
    conf = confidence(p)
    for c in (0.5, 0.73, float(np.median(conf)), 0.999, 1.0):
        b = table.bucket_for(c, "tweet")
        assert b.scope == "tweet"
        assert c <= b.max_confidence or b.bucket == 10
    assert table.bucket_for(0.7, "speech").scope == "non_tweet"
    only_all = BucketTable(table.by_scope["all"])
    assert only_all.bucket_for(0.7, "tweet").scope == "all"
    with pytest.raises(Exception, match="no confidence buckets"):
        BucketTable([]).bucket_for(0.7)


def test_row_round_trip_keeps_nan() -> None:
    stats = bucket_stats("tweet", np.array([0.2, 0.3]), np.array([0, 0]), np.array([5, 7]), np.array([1, 2]), 1)
    row = stats[0].as_row()
    assert row["ppv"] is None  # no positive predictions
    back = type(stats[0]).from_row(row)
    assert math.isnan(back.ppv) and back.n == 2
