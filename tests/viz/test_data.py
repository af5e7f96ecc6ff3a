"""The pure parts of the explorers' data: confusion classes, URL vetting, extreme-bucket sampling, counts."""

from __future__ import annotations

import math

import pytest

from deep_classiflie.viz import data as D


@pytest.mark.parametrize(("label", "predicted", "expected"), [(1, 1, "TP"), (0, 0, "TN"), (0, 1, "FP"), (1, 0, "FN")])
def test_confusion_class(label: int, predicted: int, expected: str) -> None:
    assert D.confusion_class(label, predicted) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("HTTP://Example.org", "HTTP://Example.org"),
        ("javascript:alert(1)", ""),
        ("JaVaScRiPt:alert(1)", ""),
        ("data:text/html,<script>1</script>", ""),
        ("//example.org/x", ""),
        ("http:/no-host", ""),
        ("ftp://example.org", ""),
        (None, ""),
        (42, ""),
        ("http://[::1", ""),
    ],
    ids=[
        "https",
        "upper-http",
        "javascript",
        "mixed-case-js",
        "data",
        "scheme-relative",
        "no-host",
        "ftp",
        "none",
        "int",
        "bad-ipv6",
    ],
)
def test_only_http_urls_survive(url: object, expected: str) -> None:
    assert D.safe_url(url) == expected


def _rows(n: int) -> list[dict]:
    return [
        {
            "statement_id": i + 1,
            "statement_type": "tweet" if i % 2 else "speech",
            "text": f"t{i}",
            "statement_date": None,
            "label": i % 3 == 0,
            "predicted_label": int(i % 4 == 0),
            "probability": (i % 10) / 10,
            "confidence": max((i % 10) / 10, 1 - (i % 10) / 10),
        }
        for i in range(n)
    ]


def _buckets(scope: str, ppv: list[float], acc: list[float]) -> list[dict]:
    return [
        {"scope": scope, "bucket": b + 1, "n": 0, "ppv": p, "accuracy": a, "npv": 0.5}
        for b, (p, a) in enumerate(zip(ppv, acc, strict=True))
    ]


def test_extreme_buckets_pick_max_and_min_skipping_undefined() -> None:
    buckets = D.bucket_index(
        _buckets("non_tweet", [0.2, math.nan, 0.9, 0.9], [0.5, 0.1, 0.7, 0.8])
        + _buckets("tweet", [None, 0.4], [0.6, 0.6])  # type: ignore[list-item]
    )
    picks = {name: (scope, b) for name, scope, b in D.extreme_buckets(buckets)}
    assert picks["max PPV (non-tweets)"] == ("non_tweet", 3)  # tie 0.9/0.9: the lower bucket
    assert picks["min PPV (non-tweets)"] == ("non_tweet", 1)  # NaN bucket 2 skipped
    assert picks["min accuracy (non-tweets)"] == ("non_tweet", 2)
    assert picks["max PPV (tweets)"] == picks["min PPV (tweets)"] == ("tweet", 2)  # NULL PPV skipped
    assert picks["max accuracy (tweets)"] == ("tweet", 1)


def test_sample_is_seeded_bounded_and_from_the_chosen_buckets() -> None:
    rows = _rows(80)
    buckets = _buckets("non_tweet", [0.1, 0.5, 0.9], [0.3, 0.5, 0.8]) + _buckets("tweet", [0.2, 0.6], [0.9, 0.4])
    scored = D.annotate(rows, buckets)
    a, b = D.sample_extremes(scored, 3, seed=7), D.sample_extremes(scored, 3, seed=7)
    assert a == b
    assert D.sample_extremes(scored, 3, seed=8) != a
    by_id = {r["statement_id"]: r for r in scored.rows}
    chosen = {name: (scope, bk) for name, scope, bk in D.extreme_buckets(scored.buckets)}
    per_group: dict[str, int] = {}
    for sid, groups in a.items():
        for g in groups:
            per_group[g] = per_group.get(g, 0) + 1
            assert (by_id[sid]["scope"], by_id[sid]["bucket"]) == chosen[g]
    assert set(per_group) == set(chosen) and all(n == 3 for n in per_group.values())


def test_bucket_membership_matches_ntile_sizes_and_confusion_counts_add_up() -> None:
    rows = _rows(50)  # 25 per type: NTILE(3) → 9, 8, 8
    scored = D.annotate(rows, _buckets("non_tweet", [0.5] * 3, [0.5] * 3) + _buckets("all", [0.5] * 4, [0.5] * 4))
    sizes = [sum(1 for r in scored.rows if r["scope"] == "non_tweet" and r["bucket"] == b) for b in (1, 2, 3)]
    assert sizes == [9, 8, 8]
    assert all(r["bucket"] == -1 for r in scored.rows if r["scope"] == "tweet")  # no tweet buckets stored
    per_bucket = D.bucket_confusion(scored.rows, "all")
    assert [b["n"] for b in per_bucket] == [13, 13, 12, 12]
    for b in per_bucket:
        assert sum(b[k] for k in D.CONFUSION) == b["n"]
        assert sum(b[f"{k}_share"] for k in D.CONFUSION) == pytest.approx(1.0)


def test_words_from_cards_newest_wins_and_free_text_is_ignored() -> None:
    cards = [
        {"id": 1, "statement_id": 4, "card": {"words": [{"word": "old", "score": 0.1}]}},
        {"id": 3, "statement_id": 4, "card": {"words": [{"word": "new", "score": -0.2, "start": 0, "end": 3}]}},
        {"id": 2, "statement_id": None, "card": {"words": [{"word": "free", "score": 1.0}]}},
        {"id": 5, "statement_id": 9, "card": {"schema": 1}},
    ]
    assert D.words_by_statement(cards) == {4: [{"word": "new", "score": -0.2}]}
