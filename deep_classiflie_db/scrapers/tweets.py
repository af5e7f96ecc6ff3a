"""Live tweet timeline through the Twitter API v2 (``tweepy.Client.get_users_tweets``).

tweepy sends every request to the fixed host ``https://api.twitter.com`` through its public
``client.session`` (a ``requests.Session``). :class:`RebasedSession` takes that seat: it sends the
same paths to ``scrape.tweets.api_url`` (a local fake API in tests), never follows redirects and
ignores proxies from the environment. The configured API host passes the same allowlist and
address guard as every other scraper before the first request.

Incremental: ``since_id`` is the newest tweet id stored by the last run (the watermark).
The bearer token comes from the settings (``DC_TWITTER_BEARER_TOKEN``), never from config or the DB.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import requests
import tweepy
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.config.scrape import HttpConfig, TweetsLiveConfig
from deep_classiflie.core.errors import ConfigError, FetchError
from deep_classiflie.core.settings import Settings
from deep_classiflie_db.ingest.pipeline import IngestReport, Reject, SourceSpec, StatementRecord, run_ingest
from deep_classiflie_db.queries.ingest import last_watermark
from deep_classiflie_db.scrapers.common import id_watermark, parse_when
from deep_classiflie_db.scrapers.policy import (
    RateLimiter,
    Resolver,
    check_url,
    parse_retry_after,
    retrying,
    system_resolver,
    user_agent,
)

log = logging.getLogger(__name__)

SOURCE_NAME = "tweets_live"
TWITTER_HOST = "https://api.twitter.com"
TWEET_FIELDS = ["created_at", "referenced_tweets", "lang", "conversation_id"]
RETRY_ON: tuple[type[BaseException], ...] = (
    tweepy.TooManyRequests,
    tweepy.TwitterServerError,
    requests.ConnectionError,
    requests.Timeout,
)


class RebasedSession(requests.Session):
    """A requests session that sends tweepy's ``https://api.twitter.com`` URLs to ``base_url`` instead."""

    def __init__(self, base_url: str, *, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.trust_env = False  # no proxies from the environment: they would bypass the address guard

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Rewrite the host, force a timeout and refuse to follow redirects."""
        if isinstance(url, str) and url.startswith(TWITTER_HOST):
            url = self.base_url + url[len(TWITTER_HOST) :]
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def bearer_token(settings: Settings) -> str:
    """The API bearer token from the settings, or a ConfigError that says where to put it."""
    token = settings.twitter_bearer_token.get_secret_value() if settings.twitter_bearer_token else ""
    if not token.strip():
        raise ConfigError(
            "no Twitter API bearer token is set",
            hint="export DC_TWITTER_BEARER_TOKEN=… (or add it to .env); it is never read from config or the DB",
        )
    return token.strip()


def make_client(
    token: str, cfg: TweetsLiveConfig, http: HttpConfig, *, resolve: Resolver = system_resolver
) -> tweepy.Client:
    """A tweepy v2 client bound to ``cfg.api_url``, after the host passes the allowlist and address guard."""
    check_url(httpx.URL(cfg.api_url), http, resolve=resolve)
    client = tweepy.Client(bearer_token=token, return_type=dict, wait_on_rate_limit=False)
    client.session = RebasedSession(cfg.api_url, timeout=(http.connect_timeout_s, http.timeout_s))
    client.user_agent = user_agent(http)
    return client


# ---------------------------------------------------------------- pure parsing


def is_retweet(tweet: Mapping[str, Any]) -> bool:
    """A retweet is not the speaker's own statement."""
    refs = tweet.get("referenced_tweets") or []
    if any(isinstance(r, Mapping) and r.get("type") == "retweeted" for r in refs):
        return True
    return str(tweet.get("text", "")).startswith("RT @")


def tweet_record(tweet: Mapping[str, Any], *, speaker: str, where: str) -> StatementRecord | Reject:
    """One API tweet object as a statement, or a Reject naming what is missing."""
    tweet_id, text = tweet.get("id"), tweet.get("text")
    when = parse_when(tweet.get("created_at"))
    if not isinstance(tweet_id, str) or not tweet_id.isdigit() or not isinstance(text, str) or when is None:
        return Reject(location=where, reason="tweet lacks a numeric id, text or created_at", raw=repr(dict(tweet)))
    meta = {k: tweet[k] for k in ("lang", "conversation_id") if tweet.get(k) is not None}
    return StatementRecord(
        external_id=tweet_id,
        text=text,
        statement_date=when,
        statement_type="tweet",
        is_retweet=is_retweet(tweet),
        meta=meta or None,
        speaker=speaker,
    )


def api_delay(exc: BaseException, *, now: Callable[[], float] = time.time) -> float | None:
    """The delay the API asked for: Retry-After, else the rate-limit window's reset time."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    asked = parse_retry_after(headers.get("retry-after"))
    if asked is None and str(headers.get("x-rate-limit-reset", "")).isdigit():
        asked = max(0.0, int(headers["x-rate-limit-reset"]) - now())
    return asked


# ---------------------------------------------------------------- fetching


def fetch_records(
    client: tweepy.Client,
    cfg: TweetsLiveConfig,
    http: HttpConfig,
    *,
    speaker: str,
    since_id: str | None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[StatementRecord | Reject]:
    """Tweets newer than ``since_id``, newest first, page by page (``next_token``), at most ``max_pages``."""
    limiter = RateLimiter(http.min_interval_s, sleep=sleep)
    policy = retrying(http, retry_on=RETRY_ON, delay_of=api_delay, sleep=sleep)

    def call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        def once() -> Any:
            limiter.wait(cfg.api_url)
            return method(*args, **kwargs)

        try:
            return policy(once)
        except tweepy.Unauthorized as exc:
            raise FetchError(
                f"the Twitter API at {cfg.api_url} rejected the bearer token (401)",
                hint="check DC_TWITTER_BEARER_TOKEN",
            ) from exc
        except (tweepy.HTTPException, requests.RequestException) as exc:
            raise FetchError(
                f"Twitter API request to {cfg.api_url} failed: {exc}",
                hint="check scrape.tweets (api_url, username, user_id); rate limits and 5xx were retried",
            ) from exc

    user_id = cfg.user_id
    if user_id is None:
        found = call(client.get_user, username=cfg.username)
        user_id = str((found or {}).get("data", {}).get("id", ""))
        if not user_id.isdigit():
            raise FetchError(f"Twitter user {cfg.username!r} not found", hint="check scrape.tweets.username")
    token: str | None = None
    for page in range(cfg.max_pages):
        params: dict[str, Any] = {"max_results": cfg.page_size, "tweet_fields": TWEET_FIELDS}
        if since_id:
            params["since_id"] = since_id
        if token:
            params["pagination_token"] = token
        body = call(client.get_users_tweets, user_id, **params) or {}
        for tweet in body.get("data") or []:
            yield tweet_record(tweet, speaker=speaker, where=f"{cfg.api_url}/2/users/{user_id}/tweets#page{page}")
        token = (body.get("meta") or {}).get("next_token")
        if not token:
            return
    log.warning("stopped after scrape.tweets.max_pages=%d pages; older tweets were not read", cfg.max_pages)


def record_watermark(record: StatementRecord) -> str | None:
    """The newest tweet id is the watermark (zero-padded so that text order is numeric order)."""
    return id_watermark(record.external_id)


def scrape_tweets(
    engine: Engine,
    config: Config,
    *,
    settings: Settings | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> IngestReport:
    """Fetch tweets new since the last run and write them to the store."""
    cfg, http = config.scrape.tweets, config.scrape.http
    client = make_client(bearer_token(settings or Settings()), cfg, http)
    since = last_watermark(engine, source_name=SOURCE_NAME)
    since_id = str(int(since)) if since and since.isdigit() else None
    try:
        return run_ingest(
            engine,
            source=SourceSpec(
                name=SOURCE_NAME, kind="statement_stream", description="live tweet timeline", url=cfg.api_url
            ),
            records=fetch_records(client, cfg, http, speaker=config.ingest.speaker, since_id=since_id, sleep=sleep),
            config=config.ingest,
            location=f"{cfg.api_url}/2/users/{cfg.user_id or cfg.username}/tweets",
            watermark_of=record_watermark,
        )
    finally:
        client.session.close()
