"""The publish rule, pure: which analysed statements are posted, and which rule said no to the others.

Steps, in order (the first that says no is recorded):
1) ``retweet`` – not the speaker's own words;
2) ``before_test_window`` – said within the model's test window or before it (evaluation may have seen it);
3) ``not_flagged`` – the model's label (its own per-type threshold) is not "likely falsehood";
4) ``no_bucket`` / ``bucket_too_small`` – no confidence bucket on the test split, or too few statements in it;
5) ``ppv_below_threshold`` – the bucket's PPV is under the statement type's PPV threshold;
6) ``daily_cap`` – the day's posts are used up.
Steps 1–2 need no prediction, so a backlog of old statements costs no model time.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from deep_classiflie.config.bot import PublishRuleConfig

PUBLISH = "publish"


@dataclass(frozen=True)
class Candidate:
    """A statement the active model has not analysed yet."""

    statement_id: int
    text: str
    statement_type: str
    statement_date: dt.datetime | None
    is_retweet: bool = False
    source: str = ""
    meta: dict[str, Any] | None = None


@dataclass(frozen=True)
class Bucket:
    """The track record of the confidence bucket a prediction falls into."""

    bucket: int
    n: int
    ppv: float | None
    accuracy: float | None = None
    npv: float | None = None


@dataclass(frozen=True)
class Scored:
    """A candidate's prediction."""

    probability: float  # P(falsehood)
    label: int  # 1 = likely falsehood, by the model's threshold for the statement type
    threshold: float
    confidence: float
    bucket: Bucket | None


@dataclass(frozen=True)
class Decision:
    """Post it, or the rule that said no (and why, in words)."""

    post: bool
    rule: str
    detail: str = ""


def ppv_threshold(statement_type: str, cfg: PublishRuleConfig) -> float:
    """The PPV a bucket needs for this statement type: its own entry, else its tweet/non-tweet group's."""
    if statement_type in cfg.ppv_thresholds:
        return cfg.ppv_thresholds[statement_type]
    group = "tweet" if statement_type == "tweet" else "non_tweet"
    return cfg.ppv_thresholds.get(group, 1.0)


def before_prediction(
    candidate: Candidate, *, window_end: dt.datetime | None, cfg: PublishRuleConfig
) -> Decision | None:
    """Steps 1–2: a decision that needs no prediction, or None when the model must look at it."""
    if candidate.is_retweet:
        return Decision(False, "retweet", "a retweet is not the speaker's own statement")
    if cfg.only_after_test_window and window_end is not None:
        if candidate.statement_date is None:
            return Decision(False, "before_test_window", "the statement has no date to compare with the test window")
        if candidate.statement_date <= window_end:
            return Decision(
                False,
                "before_test_window",
                f"said {candidate.statement_date:%Y-%m-%d}, not after the test window ending {window_end:%Y-%m-%d}",
            )
    return None


def decide(candidate: Candidate, scored: Scored, *, cfg: PublishRuleConfig, posted_today: int) -> Decision:
    """Steps 3–6 for a scored candidate; ``posted_today`` counts the posts already queued today."""
    if scored.label != 1:
        return Decision(
            False, "not_flagged", f"p(falsehood)={scored.probability:.3f} is under the threshold {scored.threshold:.3f}"
        )
    bucket = scored.bucket
    if bucket is None:
        return Decision(False, "no_bucket", "the model has no confidence buckets on its test split")
    if bucket.n < cfg.min_bucket_n:
        return Decision(False, "bucket_too_small", f"bucket {bucket.bucket} holds {bucket.n} < {cfg.min_bucket_n}")
    needed = ppv_threshold(candidate.statement_type, cfg)
    if bucket.ppv is None or math.isnan(bucket.ppv) or bucket.ppv < needed:
        shown = "none" if bucket.ppv is None or math.isnan(bucket.ppv) else f"{bucket.ppv:.3f}"
        return Decision(False, "ppv_below_threshold", f"bucket {bucket.bucket} PPV {shown} < {needed:.3f}")
    if posted_today >= cfg.daily_cap:
        return Decision(False, "daily_cap", f"{posted_today} posts today reach the cap of {cfg.daily_cap}")
    return Decision(True, PUBLISH, f"bucket {bucket.bucket} PPV {bucket.ppv:.3f} >= {needed:.3f}")
