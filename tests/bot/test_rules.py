"""The pure parts: publish rule, post template, card retention, backoff."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deep_classiflie.bot import rules
from deep_classiflie.bot.backoff import Waiter, delay_for, with_retries
from deep_classiflie.bot.cards import expired_days
from deep_classiflie.bot.errors import Stopping, TransientPublishError
from deep_classiflie.bot.template import counted_length, post_text, quote
from deep_classiflie.config.bot import PublishRuleConfig, RetryConfig, TemplateConfig

WINDOW = dt.datetime(2020, 6, 30)
CFG = PublishRuleConfig()


def cand(
    stype: str = "tweet", *, date: dt.datetime | None = dt.datetime(2020, 7, 2), retweet: bool = False
) -> rules.Candidate:
    return rules.Candidate(1, "the economy is the best ever", stype, date, is_retweet=retweet)


def scored(p: float = 0.95, *, label: int = 1, ppv: float | None = 0.98, n: int = 50) -> rules.Scored:
    return rules.Scored(p, label, 0.5, max(p, 1 - p), rules.Bucket(bucket=9, n=n, ppv=ppv))


@pytest.mark.parametrize(
    ("candidate", "rule"),
    [
        (cand(retweet=True), "retweet"),
        (cand(date=dt.datetime(2020, 6, 30)), "before_test_window"),
        (cand(date=None), "before_test_window"),
        (cand(), None),
    ],
    ids=["retweet", "in-window", "undated", "after-window"],
)
def test_rules_before_prediction(candidate: rules.Candidate, rule: str | None) -> None:
    decision = rules.before_prediction(candidate, window_end=WINDOW, cfg=CFG)
    assert (decision.rule if decision else None) == rule


def test_no_test_window_or_rule_off_lets_old_statements_through() -> None:
    assert rules.before_prediction(cand(date=None), window_end=None, cfg=CFG) is None
    off = PublishRuleConfig(only_after_test_window=False)
    assert rules.before_prediction(cand(date=dt.datetime(2019, 1, 1)), window_end=WINDOW, cfg=off) is None


@pytest.mark.parametrize(
    ("stype", "s", "posted", "rule"),
    [
        ("tweet", scored(label=0), 0, "not_flagged"),
        ("tweet", rules.Scored(0.9, 1, 0.5, 0.9, None), 0, "no_bucket"),
        ("tweet", scored(n=19), 0, "bucket_too_small"),
        ("tweet", scored(ppv=0.76), 0, "ppv_below_threshold"),
        ("tweet", scored(ppv=None), 0, "ppv_below_threshold"),
        ("tweet", scored(ppv=0.77), 0, "publish"),
        ("speech", scored(ppv=0.95), 0, "ppv_below_threshold"),
        ("speech", scored(ppv=0.96), 0, "publish"),
        ("tweet", scored(), 10, "daily_cap"),
    ],
    ids=[
        "label-0",
        "no-bucket",
        "small-bucket",
        "tweet-ppv-low",
        "ppv-nan",
        "tweet-ppv-at",
        "speech-ppv-low",
        "speech-ppv-at",
        "cap",
    ],
)
def test_publish_rule(stype: str, s: rules.Scored, posted: int, rule: str) -> None:
    decision = rules.decide(cand(stype), s, cfg=CFG, posted_today=posted)
    assert decision.rule == rule
    assert decision.post == (rule == "publish")
    assert decision.detail


def test_ppv_threshold_of_a_raw_type_wins_over_its_group() -> None:
    cfg = PublishRuleConfig(ppv_thresholds={"tweet": 0.77, "non_tweet": 0.96, "interview": 0.5})
    assert [rules.ppv_threshold(t, cfg) for t in ("tweet", "speech", "interview")] == [0.77, 0.96, 0.5]


def test_quote_cuts_at_a_word_with_an_ellipsis() -> None:
    assert quote("short one", 20) == "short one"
    assert quote("the economy is doing great, believe me", 20) == "the economy is…"
    assert len(quote("x" * 50, 10)) == 10


@pytest.mark.parametrize("length", [0, 10, 100, 280])
def test_post_text_fits_twitter_and_keeps_the_link(length: int) -> None:
    cfg = TemplateConfig(quote_chars=length)
    text = post_text(
        cfg,
        statement_id=42,
        statement_text="word " * 200,
        statement_date=dt.datetime(2020, 7, 1),
        probability=0.934,
        bucket_ppv=0.97,
        bucket_n=120,
        model="m",
    )
    link = "https://deepclassiflie.org/statement/42"
    assert text.startswith("Likely falsehood (p=0.93). Statements in this confidence bucket were falsehoods 97%")
    assert "(n=120)" in text and "Said 2020-07-01" in text and text.endswith(link)
    assert counted_length(text, link) <= 280


def test_expired_days_keeps_recent_and_foreign_folders() -> None:
    names = ["2021-01-01", "2021-01-21", "2021-01-31", "notes", "2021-13-01"]
    assert expired_days(names, today=dt.date(2021, 1, 31), retention_days=10) == ["2021-01-01"]


def test_backoff_is_exponential_and_capped_and_server_delay_wins() -> None:
    cfg = RetryConfig(initial_s=1, max_s=30, retry_after_max_s=60)
    assert [delay_for(k, cfg, None, jitter=0.0) for k in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert delay_for(3, cfg, 7.0, jitter=0.5) == 7.0
    assert delay_for(3, cfg, 10_000.0, jitter=0.0) == 60.0


class NoSleep(Waiter):
    def wait(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.stopping:
            raise Stopping()


def test_retries_stop_after_max_attempts_and_reraise() -> None:
    calls = []

    def fail() -> None:
        calls.append(1)
        raise TransientPublishError("down", retry_after=3.0)

    waiter = NoSleep()
    with pytest.raises(TransientPublishError):
        with_retries(fail, cfg=RetryConfig(max_attempts=4), waiter=waiter, what="x")
    assert len(calls) == 4 and waiter.slept == [3.0, 3.0, 3.0]


def test_a_stop_during_backoff_unwinds() -> None:
    waiter = NoSleep()
    waiter.stop()

    def fail() -> None:
        raise TransientPublishError("down")

    with pytest.raises(Stopping):
        with_retries(fail, cfg=RetryConfig(max_attempts=4), waiter=waiter, what="x")


@given(
    text=st.text(min_size=1, max_size=600),
    quote_chars=st.integers(min_value=0, max_value=280),
    max_chars=st.integers(min_value=200, max_value=500),
)
def test_any_statement_fits_and_its_quote_is_its_beginning(text: str, quote_chars: int, max_chars: int) -> None:
    cfg = TemplateConfig(quote_chars=quote_chars, max_chars=max_chars)
    out = post_text(
        cfg,
        statement_id=7,
        statement_text=text,
        statement_date=None,
        probability=0.9,
        bucket_ppv=0.8,
        bucket_n=30,
        model="m",
    )
    link = "https://deepclassiflie.org/statement/7"
    assert counted_length(out, link) <= max_chars and out.endswith(link)
    quoted = out[out.index('"') + 1 : out.rindex('"')]
    assert len(quoted) <= quote_chars
    assert " ".join(text.split()).startswith(quoted.removesuffix("…").rstrip(" ,;:."))
