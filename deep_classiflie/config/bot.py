"""Config of the bot stage: what it ingests and how often, the publish rule, the post template, the networks.

Credentials are settings (``DC_TWITTER_*``, ``DC_MASTODON_*``), never config: this section only says where
the networks are and how to talk to them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from deep_classiflie.config.base import Strict


class BotSourceConfig(Strict):
    """One ingest source the bot runs (a file source or a live scraper name) and how often."""

    name: str
    interval_s: float = Field(gt=0)


class PublishRuleConfig(Strict):
    """When a prediction is posted (the original's rule, each part configurable)."""

    # A "likely falsehood" is posted only when its confidence bucket's PPV on the test split reaches this,
    # per scope ("tweet", "non_tweet"; a raw statement type may be given too and wins over its group).
    ppv_thresholds: dict[str, float] = {"tweet": 0.77, "non_tweet": 0.96}
    # Buckets with fewer test statements than this say too little to post on.
    min_bucket_n: int = Field(default=20, ge=1)
    # Only statements said after the model's test window (older ones may have been seen in evaluation).
    only_after_test_window: bool = True
    # At most this many posts per UTC day (per network).
    daily_cap: int = Field(default=10, ge=0)

    @field_validator("ppv_thresholds")
    @classmethod
    def _in_unit_interval(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"PPV thresholds must lie in [0, 1], got {bad}")
        return value


class TemplateConfig(Strict):
    """The fixed post template's knobs."""

    # The statement is quoted up to this many characters (then cut at a word and "…" added).
    quote_chars: int = Field(default=100, ge=0, le=280)
    # Link to the card / site page; ``{statement_id}`` and ``{model}`` are filled in. None: no link.
    link: str | None = "https://deepclassiflie.org/statement/{statement_id}"
    # Twitter's limit; links count as 23 characters there (t.co).
    max_chars: int = Field(default=280, ge=80)


class RetryConfig(Strict):
    """Bounded exponential backoff with jitter for every network call of the bot."""

    max_attempts: int = Field(default=6, ge=1, le=50)
    initial_s: float = Field(default=2.0, ge=0)
    max_s: float = Field(default=300.0, ge=0)
    jitter_s: float = Field(default=1.0, ge=0)
    # A server's Retry-After / x-rate-limit-reset is honoured up to this many seconds.
    retry_after_max_s: float = Field(default=900.0, ge=0)
    timeout_s: float = Field(default=30.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> RetryConfig:
        if self.initial_s > self.max_s:
            raise ValueError(f"initial_s ({self.initial_s}) must not exceed max_s ({self.max_s})")
        return self


class TwitterBotConfig(Strict):
    """Where the Twitter API is (tests point both at a local fake)."""

    api_url: str = "https://api.twitter.com"
    upload_url: str = "https://upload.twitter.com"


class MastodonBotConfig(Strict):
    """The Mastodon instance the bot posts to."""

    api_base_url: str = "https://mastodon.social"
    visibility: Literal["public", "unlisted", "private"] = "public"


class BotConfig(Strict):
    """``bot run`` / ``bot once``: ingest, analyse new statements with the active model, post the confident flags."""

    publisher: Literal["dry_run", "twitter", "mastodon"] = "dry_run"
    # The original: tweets every 3 minutes, the other sources every 15.
    sources: list[BotSourceConfig] = [
        BotSourceConfig(name="tweets_live", interval_s=180),
        BotSourceConfig(name="transcripts_live", interval_s=900),
    ]
    # Statements of these sources are analysed (default: the ones in ``sources``; name others that a separate
    # ingest job fills).
    analyse_sources: list[str] | None = None
    # The daemon wakes at least this often (to deliver pending posts) even when no source is due.
    poll_s: float = Field(default=60.0, gt=0)
    # Statements analysed per cycle at most (the rest wait for the next cycle), and per predict batch.
    max_per_cycle: int = Field(default=500, ge=1)
    batch_size: int = Field(default=32, ge=1)
    # Card of each post: the explain stage's interpretation card (png uploaded as media), or none (text only).
    card: Literal["explain", "none"] = "explain"
    # Cards and dry-run posts go under this folder (default: <paths.data_dir>/bot), one sub-folder per UTC day.
    out_dir: Path | None = None
    retention_days: int = Field(default=30, ge=1)
    rule: PublishRuleConfig = PublishRuleConfig()
    template: TemplateConfig = TemplateConfig()
    retry: RetryConfig = RetryConfig()
    twitter: TwitterBotConfig = TwitterBotConfig()
    mastodon: MastodonBotConfig = MastodonBotConfig()

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, value: list[BotSourceConfig]) -> list[BotSourceConfig]:
        names = [s.name for s in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"bot.sources lists {dupes} more than once")
        return value
