"""Config of the live scrapers: the shared HTTP policy and one section per live source.

Endpoints are configurable because live sites change; the defaults point at the sources the
original project scraped. Secrets (the Twitter bearer token) are settings, never config.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from deep_classiflie.config.base import Strict

PROJECT_URL = "https://github.com/speediedan/deep_classiflie"


class HttpConfig(Strict):
    """How every live scraper talks to the network: timeouts, retries, politeness and safety."""

    timeout_s: float = Field(default=30.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    # Retries on 429, 5xx and connection errors: exponential backoff with jitter, bounded.
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_initial_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=60.0, ge=0)
    backoff_jitter_s: float = Field(default=1.0, ge=0)
    # A server's Retry-After (or rate-limit reset) is honoured up to this many seconds.
    retry_after_max_s: float = Field(default=900.0, ge=0)
    # Politeness: at least this long between two requests to the same host (robots Crawl-delay can raise it).
    min_interval_s: float = Field(default=2.0, ge=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    max_bytes: int = Field(default=20_000_000, ge=1024)
    respect_robots: bool = True
    # Only these host names are fetched (exact match, case-insensitive).
    allowed_hosts: list[str] = ["www.washingtonpost.com", "factba.se", "api.twitter.com"]
    # SSRF guard: private, link-local and reserved addresses are always refused; loopback only with this flag.
    allow_loopback: bool = False
    contact_url: str = PROJECT_URL

    @model_validator(mode="after")
    def _check(self) -> HttpConfig:
        if self.backoff_initial_s > self.backoff_max_s:
            raise ValueError(
                f"backoff_initial_s ({self.backoff_initial_s}) must not exceed backoff_max_s ({self.backoff_max_s})"
            )
        return self

    @field_validator("allowed_hosts")
    @classmethod
    def _lower_hosts(cls, hosts: list[str]) -> list[str]:
        return [h.strip().lower() for h in hosts if h.strip()]


class FactCheckLiveConfig(Strict):
    """A paged JSON claims database (the Washington Post fact-checker's shape), newest claims first."""

    url: str = "https://www.washingtonpost.com/graphics/politics/trump-claims-database/claims.json"
    page_param: str = "page"
    page_size_param: str | None = "per_page"
    page_size: int = Field(default=100, ge=1, le=1000)
    first_page: int = Field(default=1, ge=0)
    max_pages: int = Field(default=200, ge=1)
    rating_source: str = "washington_post"
    # Ratings (case-insensitive) that mean "not a falsehood"; every other rating maps to class 1.
    true_ratings: list[str] = ["Geppetto Checkmark", "0 Pinocchios"]


class TranscriptsLiveConfig(Strict):
    """A transcript site (factba.se's shape): a paged JSON index, newest first, and one HTML page per transcript."""

    index_url: str = "https://factba.se/json/json-transcript.php"
    page_param: str = "p"
    first_page: int = Field(default=1, ge=0)
    max_pages: int = Field(default=50, ge=1)
    # Relative index entries (a ``slug``) are joined onto this.
    transcript_base_url: str = "https://factba.se/transcript/"
    # CSS selectors into a transcript page.
    turn_selector: str = "div.topic-media-row"
    speaker_selector: str = ".speaker-label"
    text_selector: str = ".transcript-text-block"
    type_selector: str = "meta[name='transcript-type']"
    # Re-check this many days before the watermark (late-published transcripts); the store drops repeats.
    lookback_days: int = Field(default=0, ge=0)


class TweetsLiveConfig(Strict):
    """A tweet timeline through the Twitter API v2 (tweepy)."""

    api_url: str = "https://api.twitter.com"
    username: str = "realDonaldTrump"
    # Saves the user lookup request when set.
    user_id: str | None = None
    page_size: int = Field(default=100, ge=5, le=100)
    max_pages: int = Field(default=32, ge=1)


class ScrapeConfig(Strict):
    """Live scrapers (``ingest --source factcheck_live|transcripts_live|tweets_live``)."""

    http: HttpConfig = HttpConfig()
    factcheck: FactCheckLiveConfig = FactCheckLiveConfig()
    transcripts: TranscriptsLiveConfig = TranscriptsLiveConfig()
    tweets: TweetsLiveConfig = TweetsLiveConfig()
