"""A fake Twitter + Mastodon API on 127.0.0.1 that speaks real HTTP, for the bot's tests and its soak bench.

It answers like the real endpoints the bot (through tweepy and Mastodon.py) and the tweet scraper call:
``POST /2/tweets``, ``POST /1.1/media/upload.json``, ``GET /2/users/me``, ``GET /2/users/:id/tweets``,
``GET /2/users/by/username/:name``, ``POST /api/v2/media``, ``POST /api/v1/statuses`` (with Idempotency-Key),
``GET /api/v1/accounts/verify_credentials`` and ``GET /api/v1/accounts/:id/statuses``. Every request is logged.

Faults are queued per endpoint (:meth:`FakeNetwork.inject`) or drawn at random (:attr:`FakeNetwork.chaos`):
an HTTP status with headers (429 with ``x-rate-limit-reset`` / ``Retry-After``, 5xx), a connection reset, a
timeout before or after the action took effect, or a kill of the bot process (``killer``) before or after it.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import json
import random
import re
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "1000"
SPEAKER_USER_ID = "25073877"
SPEAKER_NAME = "realDonaldTrump"
MASTODON_ACCOUNT_ID = "109"
CREDENTIALS = {
    "consumer_key": "ck-test-9f2",
    "consumer_secret": "cs-test-7d1",
    "access_token": "at-test-5a8",
    "access_token_secret": "ats-test-3c4",
    "bearer_token": "bearer-test-6e0",
    "mastodon_token": "mastodon-test-2b9",
}

# endpoint name → (method, path regex)
ROUTES = {
    "tweet_create": ("POST", r"/2/tweets"),
    "media_upload": ("POST", r"/1\.1/media/upload\.json"),
    "me": ("GET", r"/2/users/me"),
    "user_by_name": ("GET", r"/2/users/by/username/(?P<name>[^/]+)"),
    "timeline": ("GET", r"/2/users/(?P<id>\d+)/tweets"),
    "m_media": ("POST", r"/api/v[12]/media"),
    "m_status": ("POST", r"/api/v1/statuses"),
    "m_verify": ("GET", r"/api/v1/accounts/verify_credentials"),
    "m_statuses": ("GET", r"/api/v1/accounts/(?P<id>\d+)/statuses"),
}


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or around) an endpoint's normal answer.

    kind: ``status`` (answer ``status`` with ``headers``), ``reset`` (drop the connection), ``timeout`` (sleep
    ``delay_s`` then drop, nothing done), ``commit_timeout`` (do it, then sleep and drop), ``kill_before`` /
    ``kill_after`` (call the killer before / after doing it, then drop).
    """

    kind: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    reset_in_s: int | None = None  # x-rate-limit-reset = the time of the answer + this
    detail: str | None = None  # the error's ``detail`` (default: the status's title)


def rate_limited(reset_in_s: int = 2, retry_after: int | None = None) -> Fault:
    """A 429 like Twitter's, with the rate-limit window headers."""
    headers = {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0"}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    return Fault("status", 429, headers, reset_in_s=reset_in_s)


class _QuietServer(ThreadingHTTPServer):
    """Dropped connections (the faults) are expected: no traceback on stderr."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


@dataclass(frozen=True)
class Seen:
    """A request the server received."""

    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class FakeNetwork:
    """The fake API's state (posted tweets, media, statuses, the speaker's timeline) and its server thread."""

    def __init__(self, *, killer: Callable[[], None] | None = None) -> None:
        self.killer = killer
        self.lock = threading.RLock()
        self.seen: list[Seen] = []
        self.faults: dict[str, deque[Fault]] = {}
        self.tweets: list[dict[str, Any]] = []  # posted by the bot
        self.media: dict[str, int] = {}  # media id → bytes received
        self.statuses: list[dict[str, Any]] = []  # Mastodon statuses posted by the bot
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.speaker_tweets: list[dict[str, Any]] = []  # the timeline the scraper reads
        self.auth_status: int | None = None  # 401/403 for every user-context call when set
        # random faults: endpoint → probability, drawn from ``rng`` (the soak bench)
        self.chaos: dict[str, float] = {}
        self.chaos_kinds: list[Fault] = []
        self.rng = random.Random(0)
        self.served_faults: collections.Counter[str] = collections.Counter()  # fault kind (status) → times played
        self._ids = itertools.count(1_600_000_000_000_000_000)
        self.httpd: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ control

    @property
    def base(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def inject(self, endpoint: str, *faults: Fault) -> None:
        """Play these faults on the next requests to ``endpoint``, in order, then answer normally."""
        with self.lock:
            self.faults.setdefault(endpoint, deque()).extend(faults)

    def hits(self, endpoint: str) -> int:
        """Requests received for an endpoint."""
        with self.lock:
            return sum(1 for s in self.seen if s.endpoint == endpoint)

    def add_speaker_tweet(self, text: str, when: dt.datetime, *, retweet: bool = False) -> str:
        """A new tweet on the speaker's timeline (what the bot's ingest reads); returns its id."""
        with self.lock:
            tweet_id = str(next(self._ids))
            tweet: dict[str, Any] = {
                "id": tweet_id,
                "text": ("RT @someone: " if retweet else "") + text,
                "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "edit_history_tweet_ids": [tweet_id],
                "lang": "en",
            }
            self.speaker_tweets.insert(0, tweet)
            return tweet_id

    def start(self) -> FakeNetwork:
        network = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                network.handle(self)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()

    # ------------------------------------------------------------ serving

    def _route(self, method: str, path: str) -> tuple[str, dict[str, str]]:
        for name, (m, pattern) in ROUTES.items():
            match = re.fullmatch(pattern, path)
            if m == method and match:
                return name, match.groupdict()
        return "unknown", {}

    def _next_fault(self, endpoint: str) -> Fault | None:
        queued = self.faults.get(endpoint)
        fault = None
        if queued:
            fault = queued.popleft()
        elif self.chaos.get(endpoint) and self.chaos_kinds and self.rng.random() < self.chaos[endpoint]:
            fault = self.rng.choice(self.chaos_kinds)
        if fault is not None:
            self.served_faults[f"{fault.kind}:{fault.status}" if fault.kind == "status" else fault.kind] += 1
        return fault

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        endpoint, params = self._route(req.command, parts.path)
        headers = {k.lower(): v for k, v in req.headers.items()}
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self.lock:
            self.seen.append(Seen(endpoint, req.command, parts.path, query, headers, body))
            fault = self._next_fault(endpoint)
        refusal = self._auth(endpoint, headers)
        if refusal is not None:
            return self._reply(req, refusal, {"title": "Unauthorized", "status": refusal, "detail": "Unauthorized"})
        if fault is not None and fault.kind == "status":
            title = {429: "Too Many Requests", 503: "Service Unavailable"}.get(fault.status, "Error")
            extra = dict(fault.headers)
            if fault.reset_in_s is not None:
                extra["x-rate-limit-reset"] = str(int(time.time()) + fault.reset_in_s)
            error = {"title": title, "status": fault.status, "detail": fault.detail or title, "type": "about:blank"}
            return self._reply(req, fault.status, error, extra)
        if fault is not None and fault.kind == "reset":
            return self._reset(req)
        if fault is not None and fault.kind == "timeout":
            time.sleep(fault.delay_s)
            return self._reset(req)
        if fault is not None and fault.kind == "kill_before":
            self._kill()
            return self._reset(req)
        status, payload = self.act(endpoint, params, query, headers, body)
        if fault is not None and fault.kind == "kill_after":
            self._kill()
            return self._reset(req)
        if fault is not None and fault.kind == "commit_timeout":
            time.sleep(fault.delay_s)
            return self._reset(req)
        return self._reply(req, status, payload)

    def _kill(self) -> None:
        if self.killer is not None:
            self.killer()

    def _auth(self, endpoint: str, headers: dict[str, str]) -> int | None:
        auth = headers.get("authorization", "")
        if endpoint.startswith("m_"):
            ok = auth == f"Bearer {CREDENTIALS['mastodon_token']}"
        elif endpoint in ("user_by_name",) or (endpoint == "timeline" and auth.startswith("Bearer")):
            ok = auth == f"Bearer {CREDENTIALS['bearer_token']}"
        elif endpoint == "unknown":
            return None
        else:
            ok = auth.startswith("OAuth ") and f'oauth_consumer_key="{CREDENTIALS["consumer_key"]}"' in auth
            ok = ok and f'oauth_token="{CREDENTIALS["access_token"]}"' in auth
        if not ok:
            return 401
        if self.auth_status is not None and not endpoint.startswith("user_by") and endpoint != "timeline":
            return self.auth_status
        return None

    def act(
        self, endpoint: str, params: dict[str, str], query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        """Do what the endpoint does; returns (status, JSON payload)."""
        now = dt.datetime.now(dt.UTC)
        with self.lock:
            if endpoint == "tweet_create":
                data = json.loads(body or b"{}")
                tweet_id = str(next(self._ids))
                tweet = {
                    "id": tweet_id,
                    "text": data.get("text", ""),
                    "created_at": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "media_ids": list((data.get("media") or {}).get("media_ids") or []),
                    "edit_history_tweet_ids": [tweet_id],
                }
                self.tweets.append(tweet)
                return 201, {"data": {"id": tweet_id, "text": tweet["text"], "edit_history_tweet_ids": [tweet_id]}}
            if endpoint == "media_upload" or endpoint == "m_media":
                media_id = str(next(self._ids))
                self.media[media_id] = len(body)
                if endpoint == "m_media":
                    return 200, {"id": media_id, "type": "image", "url": f"{self.base}/media/{media_id}.png"}
                return 200, {
                    "media_id": int(media_id),
                    "media_id_string": media_id,
                    "size": len(body),
                    "expires_after_secs": 86400,
                    "image": {"image_type": "image/png", "w": 1200, "h": 630},
                }
            if endpoint == "me":
                return 200, {"data": {"id": BOT_USER_ID, "name": "Deep Classiflie", "username": "deepclassiflie"}}
            if endpoint == "user_by_name":
                if params["name"].lower() != SPEAKER_NAME.lower():
                    return 200, {"errors": [{"title": "Not Found Error", "detail": "Could not find user"}]}
                return 200, {"data": {"id": SPEAKER_USER_ID, "name": "Donald J. Trump", "username": SPEAKER_NAME}}
            if endpoint == "timeline":
                return 200, self._timeline(params["id"], query)
            if endpoint == "m_status":
                return self._status(body, headers, now)
            if endpoint == "m_verify":
                return 200, self._account(now)
            if endpoint == "m_statuses":
                limit = int(query.get("limit", 20))
                return 200, list(reversed(self.statuses))[:limit]
        return 404, {"title": "Not Found", "status": 404, "detail": "Sorry, that page does not exist"}

    def _timeline(self, user_id: str, query: dict[str, str]) -> dict[str, Any]:
        if user_id == BOT_USER_ID:
            tweets = list(reversed(self.tweets))
            if "start_time" in query:
                start = dt.datetime.strptime(query["start_time"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
                tweets = [
                    t
                    for t in tweets
                    if dt.datetime.strptime(t["created_at"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC) >= start
                ]
        elif user_id == SPEAKER_USER_ID:
            tweets = list(self.speaker_tweets)
            if query.get("since_id"):
                tweets = [t for t in tweets if int(t["id"]) > int(query["since_id"])]
        else:
            tweets = []
        page = tweets[: int(query.get("max_results", 10))]
        if not page:
            return {"meta": {"result_count": 0}}
        shown = [{k: v for k, v in t.items() if k != "media_ids"} for t in page]
        return {
            "data": shown,
            "meta": {"result_count": len(page), "newest_id": page[0]["id"], "oldest_id": page[-1]["id"]},
        }

    def _account(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "id": MASTODON_ACCOUNT_ID,
            "username": "deepclassiflie",
            "acct": "deepclassiflie",
            "display_name": "Deep Classiflie",
            "created_at": now.isoformat(),
            "url": f"{self.base}/@deepclassiflie",
        }

    def _status(self, body: bytes, headers: dict[str, str], now: dt.datetime) -> tuple[int, Any]:
        key = headers.get("idempotency-key")
        if key and key in self.idempotency:
            return 200, self.idempotency[key]
        ctype = headers.get("content-type", "")
        if "json" in ctype:
            data = json.loads(body or b"{}")
        else:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            data = {
                "status": dict(pairs).get("status", ""),
                "media_ids": [v for k, v in pairs if k.startswith("media_ids")],
            }
        status_id = str(next(self._ids))
        text = str(data.get("status", ""))
        status = {
            "id": status_id,
            "created_at": now.isoformat(),
            "content": "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>",
            "visibility": data.get("visibility", "public"),
            "uri": f"{self.base}/statuses/{status_id}",
            "url": f"{self.base}/@deepclassiflie/{status_id}",
            "media_attachments": [{"id": str(m), "type": "image"} for m in data.get("media_ids") or []],
            "account": self._account(now),
        }
        self.statuses.append(status)
        if key:
            self.idempotency[key] = status
        return 200, status

    @staticmethod
    def _reply(req: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        req.send_response(status)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            req.send_header(name, value)
        req.end_headers()
        req.wfile.write(data)

    @staticmethod
    def _reset(req: BaseHTTPRequestHandler) -> None:
        """Drop the connection with a TCP reset (SO_LINGER 0), no answer."""
        try:
            req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            req.connection.close()
        except OSError:
            pass
        req.close_connection = True
