"""The one HTTP client every web scraper uses (httpx), with the policy of :mod:`.policy` applied to each request.

Per request: 1) allowlist + SSRF guard (before any byte is sent); 2) robots.txt of the origin;
3) per-origin rate limit (robots Crawl-delay can lengthen it); 4) send, retrying 429/5xx and
connection errors with bounded backoff; 5) follow redirects by hand, only within the same host,
re-checking 1) and 2) at every hop; 6) read at most ``max_bytes``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.robotparser import RobotFileParser

import httpx

from deep_classiflie.config.scrape import HttpConfig
from deep_classiflie.core.errors import DataSourceError, FetchError
from deep_classiflie_db.scrapers.policy import (
    ROBOTS_AGENT,
    RateLimiter,
    Resolver,
    RetryableStatus,
    check_url,
    is_retryable_status,
    origin,
    parse_retry_after,
    retrying,
    robots_rules,
    robots_url,
    system_resolver,
    user_agent,
)

log = logging.getLogger(__name__)

REDIRECTS = (301, 302, 303, 307, 308)


class HttpStatusError(FetchError):
    """A request ended in a non-2xx status (after retries, for retryable ones)."""

    def __init__(self, message: str, *, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


@dataclass(frozen=True)
class Page:
    """A fetched response body with its final URL and status."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        """Body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """Body parsed as JSON; a DataSourceError names the URL when it is not JSON."""
        try:
            return json.loads(self.content)
        except ValueError as exc:
            raise DataSourceError(
                f"{self.url} did not return JSON: {exc}", hint="check the configured endpoint URL"
            ) from exc


@dataclass
class Fetcher:
    """Polite, guarded GET requests. Build with :func:`open_fetcher`; use as a context manager."""

    client: httpx.Client
    http: HttpConfig
    resolve: Resolver = system_resolver
    sleep: Callable[[float], None] = time.sleep
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0.0))
    robots: dict[str, RobotFileParser] = field(default_factory=dict)
    robots_unreadable: dict[str, FetchError] = field(default_factory=dict)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def get(self, url: str, *, params: Mapping[str, str | int] | None = None) -> Page:
        """GET ``url`` under the full policy; raises FetchError when refused, failing or not 2xx."""
        target = httpx.URL(url, params=dict(params) if params else None)
        return self._follow(target, check_robots=self.http.respect_robots)

    def get_json(self, url: str, *, params: Mapping[str, str | int] | None = None) -> Any:
        """GET and parse JSON."""
        return self.get(url, params=params).json()

    # ------------------------------------------------------------ steps

    def _follow(self, target: httpx.URL, *, check_robots: bool) -> Page:
        start = target
        for _hop in range(self.http.max_redirects + 1):
            address = check_url(target, self.http, resolve=self.resolve)[0]
            if check_robots:
                self._require_robots(target)
            page = self._send(target, address)
            if page.status in REDIRECTS and "location" in page.headers:
                nxt = target.join(page.headers["location"])
                if nxt.host.lower() != target.host.lower():
                    raise FetchError(
                        f"{target} redirects to another host ({nxt.host}); not followed",
                        hint="point the scraper at the final URL if that host is trusted",
                    )
                target = nxt
                continue
            if not 200 <= page.status < 300:
                raise HttpStatusError(
                    f"HTTP {page.status} from {target}",
                    status=page.status,
                    hint="check the URL; the page may have moved",
                )
            return page
        raise FetchError(
            f"{start} redirected more than {self.http.max_redirects} times", hint="check the URL for a redirect loop"
        )

    def _require_robots(self, url: httpx.URL) -> None:
        rules = self._robots_for(url)
        if not rules.can_fetch(ROBOTS_AGENT, str(url)):
            raise FetchError(
                f"robots.txt of {origin(url)} disallows {url}",
                hint="the site asks crawlers not to fetch this path; it is skipped",
            )

    def _robots_for(self, url: httpx.URL) -> RobotFileParser:
        key = origin(url)
        if key in self.robots_unreadable:
            raise self.robots_unreadable[key]
        if key not in self.robots:
            try:
                page = self._follow(robots_url(url), check_robots=False)
                self.robots[key] = robots_rules(page.status, page.text)
            except FetchError as exc:
                status = exc.status if isinstance(exc, HttpStatusError) else None
                if status is not None and 400 <= status < 500:
                    self.robots[key] = robots_rules(status, "")  # no robots.txt (or 401/403)
                else:
                    # Unreachable robots.txt: nothing may be fetched from the site (RFC 9309).
                    self.robots_unreadable[key] = FetchError(
                        f"robots.txt of {key} cannot be read ({exc.message}); nothing is fetched from that site",
                        hint="try again later: an unreadable robots.txt is treated as disallowing everything",
                    )
                    self.robots_unreadable[key].__cause__ = exc
                    raise self.robots_unreadable[key] from exc
        return self.robots[key]

    def _crawl_delay(self, url: httpx.URL) -> float | None:
        rules = self.robots.get(origin(url))
        delay = rules.crawl_delay(ROBOTS_AGENT) if rules is not None else None
        return float(delay) if delay is not None else None

    def _send(self, url: httpx.URL, address: str) -> Page:
        policy = retrying(
            self.http,
            retry_on=(RetryableStatus, httpx.TransportError),
            delay_of=lambda exc: exc.retry_after if isinstance(exc, RetryableStatus) else None,
            sleep=self.sleep,
        )
        try:
            return policy(self._send_once, url, address)
        except RetryableStatus as exc:
            raise HttpStatusError(
                f"HTTP {exc.status} from {url} after {self.http.max_attempts} attempts",
                status=exc.status,
                hint="the site is failing or rate-limiting; try again later or raise scrape.http.max_attempts",
            ) from exc
        except httpx.TransportError as exc:
            raise FetchError(
                f"cannot fetch {url} after {self.http.max_attempts} attempts: {type(exc).__name__}: {exc}",
                hint="check the network and the URL; timeouts are scrape.http.timeout_s",
            ) from exc

    def _send_once(self, url: httpx.URL, address: str) -> Page:
        self.limiter.wait(origin(url), self._crawl_delay(url))
        log.debug("GET %s (at %s)", url, address)
        # DNS pinning: connect to the vetted address, with the URL's host in the Host header and, for
        # TLS, as the SNI name the certificate is verified against.
        pinned = url.copy_with(host=address.split("%", 1)[0])
        headers = {"Host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        with self.client.stream("GET", pinned, headers=headers, extensions=extensions) as response:
            content = _read_capped(response, self.http.max_bytes, url)
            page = Page(url=str(url), status=response.status_code, headers=dict(response.headers), content=content)
        if is_retryable_status(page.status):
            raise RetryableStatus(str(url), page.status, parse_retry_after(page.headers.get("retry-after")))
        return page


def _read_capped(response: httpx.Response, limit: int, url: httpx.URL) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise FetchError(f"{url} is larger than {limit} bytes", hint="raise scrape.http.max_bytes if expected")
        chunks.append(chunk)
    return b"".join(chunks)


def open_fetcher(
    http: HttpConfig,
    *,
    resolve: Resolver = system_resolver,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> Fetcher:
    """A Fetcher with its httpx client: no automatic redirects, no proxies from the environment."""
    client = httpx.Client(
        headers={"User-Agent": user_agent(http)},
        timeout=httpx.Timeout(http.timeout_s, connect=http.connect_timeout_s),
        follow_redirects=False,
        # Proxies from the environment would bypass the address checks; the scrapers connect directly.
        trust_env=False,
        transport=transport,
    )
    limiter = RateLimiter(http.min_interval_s, sleep=sleep)
    return Fetcher(client=client, http=http, resolve=resolve, sleep=sleep, limiter=limiter)
