"""Posting to Twitter with tweepy: API v2 ``create_tweet``, the card through the v1.1 media upload endpoint.

tweepy sends to the fixed hosts ``api.twitter.com`` and ``upload.twitter.com``; :class:`RoutedSession` takes the
place of its ``requests`` session and sends the same paths to ``bot.twitter.api_url`` / ``upload_url`` (a local
fake API in tests), with a timeout on every request. The debug logs of tweepy and oauthlib print request
headers and OAuth parameters, so those loggers are kept above DEBUG.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests
import tweepy

from deep_classiflie.bot.errors import PublishAuthError, RejectedPost, TransientPublishError
from deep_classiflie.bot.publishers import Post, same_text
from deep_classiflie.config.bot import BotConfig
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.core.settings import Settings
from deep_classiflie_db.scrapers.policy import parse_retry_after
from deep_classiflie_db.scrapers.tweets import api_delay

T = TypeVar("T")
HOSTS = {"api": "https://api.twitter.com", "upload": "https://upload.twitter.com"}
QUIET_LOGGERS = ("tweepy", "oauthlib", "requests_oauthlib")
CREDENTIALS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# A restarted bot looks for its post among the account's tweets since a little before the post was queued.
FIND_SLACK = dt.timedelta(minutes=10)


class RoutedSession(requests.Session):
    """A requests session that sends tweepy's fixed Twitter hosts to configured base URLs instead."""

    def __init__(self, routes: dict[str, str], *, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.routes = {src: dst.rstrip("/") for src, dst in routes.items()}
        self.timeout = timeout
        self.trust_env = False  # no proxies or .netrc from the environment

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Rewrite the host, force the timeout, never follow redirects."""
        for src, dst in self.routes.items():
            if isinstance(url, str) and url.startswith(src):
                url = dst + url[len(src) :]
                break
        kwargs["allow_redirects"] = False
        kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


def _status(exc: tweepy.HTTPException) -> int:
    return int(getattr(exc.response, "status_code", 0) or 0)


def translate(exc: BaseException, what: str) -> BaseException:
    """A tweepy / requests failure as the bot's error family (transient, refused post, refused credentials)."""
    if isinstance(exc, tweepy.TooManyRequests):
        return TransientPublishError(f"Twitter rate limit (429) on {what}", retry_after=api_delay(exc))
    if isinstance(exc, tweepy.Forbidden) and any("duplicate" in m.lower() for m in exc.api_messages):
        # Twitter answers 403 to a text this account already tweeted: a refused post, not refused credentials
        return RejectedPost(f"Twitter refused {what} as duplicate content (403)")
    if isinstance(exc, tweepy.Unauthorized | tweepy.Forbidden):
        return PublishAuthError(
            f"the Twitter API refused the bot's credentials ({_status(exc)}) on {what}",
            hint="check DC_TWITTER_CONSUMER_KEY, DC_TWITTER_CONSUMER_SECRET, DC_TWITTER_ACCESS_TOKEN and "
            "DC_TWITTER_ACCESS_TOKEN_SECRET, and that the app may write",
        )
    if isinstance(exc, tweepy.TwitterServerError):
        headers = getattr(exc.response, "headers", None) or {}
        return TransientPublishError(
            f"Twitter server error ({_status(exc)}) on {what}",
            retry_after=parse_retry_after(headers.get("retry-after")),
        )
    if isinstance(exc, tweepy.HTTPException):
        return RejectedPost(f"Twitter refused {what} ({_status(exc)}): {'; '.join(exc.api_messages) or exc}")
    if isinstance(exc, requests.RequestException | tweepy.TweepyException | OSError):
        return TransientPublishError(f"Twitter API unreachable on {what}: {type(exc).__name__}")
    return exc


class TwitterPublisher:
    """A tweepy v2 client (tweets, timeline) and a v1.1 API object (media upload) on one account."""

    network = "twitter"

    def __init__(self, client: tweepy.Client, api: tweepy.API) -> None:
        self.client = client
        self.api = api
        self.user_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, cfg: BotConfig) -> TwitterPublisher:
        """Clients bound to ``bot.twitter``'s URLs with the OAuth 1.0a user credentials from the settings."""
        values = {}
        for name in CREDENTIALS:
            secret = getattr(settings, f"twitter_{name}")
            values[name] = secret.get_secret_value().strip() if secret is not None else ""
        missing = [f"DC_TWITTER_{n.upper()}" for n, v in values.items() if not v]
        if missing:
            raise ConfigError(
                f"bot.publisher is twitter but {', '.join(missing)} is not set",
                hint="export them (or add them to .env); they are never read from config or the DB",
            )
        for noisy in QUIET_LOGGERS:  # their DEBUG lines print auth headers and OAuth parameters
            logging.getLogger(noisy).setLevel(logging.INFO)
        routes = {HOSTS["api"]: cfg.twitter.api_url, HOSTS["upload"]: cfg.twitter.upload_url}
        timeout = (cfg.retry.connect_timeout_s, cfg.retry.timeout_s)
        client = tweepy.Client(**values, return_type=dict, wait_on_rate_limit=False)
        client.session = RoutedSession(routes, timeout=timeout)
        auth = tweepy.OAuth1UserHandler(
            values["consumer_key"], values["consumer_secret"], values["access_token"], values["access_token_secret"]
        )
        # retry_count=0: the bot's own bounded backoff decides about retries, not tweepy's.
        api = tweepy.API(auth, retry_count=0, timeout=cfg.retry.timeout_s, wait_on_rate_limit=False)
        api.session = RoutedSession(routes, timeout=timeout)
        return cls(client, api)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as exc:
            error = translate(exc, what)
            if error is exc:
                raise
            raise error from None

    def upload_media(self, path: Path) -> str:
        """POST media/upload (v1.1, simple upload); returns ``media_id_string``."""
        media = self._call("media upload", lambda: self.api.media_upload(filename=str(path)))
        return str(media.media_id_string)

    def create_post(self, post: Post, media_id: str | None) -> str:
        """POST /2/tweets; returns the tweet id."""
        body = self._call(
            "create tweet",
            lambda: self.client.create_tweet(text=post.text, media_ids=[media_id] if media_id else None),
        )
        return str(body["data"]["id"])

    def find_post(self, post: Post) -> str | None:
        """The account's tweet with the queued text among its tweets since the post was queued, or None."""
        if self.user_id is None:
            me = self._call("user lookup", lambda: self.client.get_me())
            self.user_id = str(me["data"]["id"])
        start = (
            post.created_at.replace(tzinfo=dt.UTC) if post.created_at.tzinfo is None else post.created_at
        ) - FIND_SLACK
        token: str | None = None
        for _ in range(10):  # 1,000 tweets at most: the post is among the newest
            params: dict[str, Any] = {"max_results": 100, "start_time": start, "user_auth": True}
            if token:
                params["pagination_token"] = token
            body = self._call("timeline lookup", lambda p=params: self.client.get_users_tweets(self.user_id, **p))  # type: ignore[misc]
            for tweet in body.get("data") or []:
                if str(tweet.get("id")) not in post.taken and same_text(str(tweet.get("text", "")), post.text):
                    return str(tweet["id"])
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return None
        return None
