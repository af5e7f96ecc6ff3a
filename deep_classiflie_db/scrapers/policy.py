"""What the scrapers may fetch, and how politely: host allowlist, SSRF guard, robots.txt, rate limit, retries.

Small pieces with no HTTP of their own, so the fetcher (:mod:`.http`) and the tweepy-based
timeline scraper share exactly one policy.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from urllib.robotparser import RobotFileParser

import httpx
import tenacity

from deep_classiflie import __version__
from deep_classiflie.config.scrape import HttpConfig
from deep_classiflie.core.errors import FetchError

log = logging.getLogger(__name__)

# The product token robots.txt rules are matched against.
ROBOTS_AGENT = "DeepClassiflie"

Resolver = Callable[[str, int], list[str]]


def user_agent(http: HttpConfig) -> str:
    """An honest User-Agent: who we are and where to read about us."""
    return f"{ROBOTS_AGENT}/{__version__} (+{http.contact_url})"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself, without DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


# ---------------------------------------------------------------- allowlist and SSRF guard


def check_url(url: httpx.URL, http: HttpConfig, *, resolve: Resolver = system_resolver) -> list[str]:
    """Refuse ``url`` unless it is http(s), its host is allowlisted and every address it resolves to is public.

    Loopback addresses pass only with ``allow_loopback``; private, link-local (cloud metadata),
    shared, reserved and multicast addresses never do. Nothing is sent when this raises. Returns the
    vetted addresses: the request must connect to one of them (no second lookup a DNS rebinding could
    answer differently).
    """
    if url.scheme not in ("http", "https"):
        raise FetchError(f"refusing {url}: scheme {url.scheme!r} is not http(s)", hint="use an http(s) URL")
    host = url.host.lower()
    if host not in http.allowed_hosts:
        raise FetchError(
            f"refusing {url}: host {host!r} is not in scrape.http.allowed_hosts",
            hint=f"add it with --set 'scrape.http.allowed_hosts=[..., {host}]' if you trust it",
        )
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except OSError as exc:
        raise FetchError(f"cannot resolve host {host!r} of {url}: {exc}", hint="check the URL and your DNS") from exc
    if not addresses:
        raise FetchError(f"host {host!r} of {url} resolves to no address", hint="check the URL and your DNS")
    for text in addresses:
        refused = address_refusal(text, allow_loopback=http.allow_loopback)
        if refused:
            raise FetchError(
                f"refusing {url}: {host!r} resolves to {text}, {refused}",
                hint="scrapers only fetch public addresses; set scrape.http.allow_loopback=true for a local test server",
            )
    return addresses


def address_refusal(text: str, *, allow_loopback: bool) -> str | None:
    """Why fetching from address ``text`` is refused, or None when it is allowed."""
    ip = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address (such as a cloud metadata service)"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "a multicast, unspecified or reserved address"
    if ip.is_private or not ip.is_global:
        return "a private (non-global) address"
    return None


# ---------------------------------------------------------------- robots.txt


def robots_rules(status: int, text: str) -> RobotFileParser:
    """Rules from a fetched robots.txt, by RFC 9309.

    1) 2xx: the file's rules. 2) 401/403: everything disallowed. 3) other 4xx (no file):
    everything allowed. 4) 5xx or unreachable: everything disallowed until it can be read.
    """
    rules = RobotFileParser()
    if 200 <= status < 300:
        rules.parse(text.splitlines())
    elif status in (401, 403) or status >= 500:
        rules.parse(["User-agent: *", "Disallow: /"])
    else:
        rules.parse([])
    return rules


def robots_url(url: httpx.URL) -> httpx.URL:
    """``/robots.txt`` of the origin of ``url``."""
    return url.copy_with(path="/robots.txt", query=None, fragment=None)


def origin(url: httpx.URL) -> str:
    """scheme://host:port, the unit robots.txt and rate limits apply to."""
    return f"{url.scheme}://{url.host.lower()}:{url.port or (443 if url.scheme == 'https' else 80)}"


# ---------------------------------------------------------------- rate limit


class RateLimiter:
    """At least ``interval`` seconds between two requests to the same origin."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self.last: dict[str, float] = {}

    def wait(self, key: str, interval: float | None = None) -> None:
        """Sleep until ``key`` may be requested again, then mark it requested now."""
        gap = self.interval if interval is None else max(self.interval, interval)
        last = self.last.get(key)
        if last is not None:
            left = gap - (self.clock() - last)
            if left > 0:
                self.sleep(left)
        self.last[key] = self.clock()


# ---------------------------------------------------------------- retries


class RetryableStatus(Exception):
    """An HTTP status worth retrying (429, 5xx), with the server's requested delay if any."""

    def __init__(self, url: str, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.url = url
        self.status = status
        self.retry_after = retry_after


def is_retryable_status(status: int) -> bool:
    """429 Too Many Requests and every 5xx."""
    return status == 429 or status >= 500


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def retrying(
    http: HttpConfig,
    *,
    retry_on: tuple[type[BaseException], ...],
    delay_of: Callable[[BaseException], float | None],
    sleep: Callable[[float], None] = time.sleep,
) -> tenacity.Retrying:
    """Bounded exponential backoff with jitter; a server-requested delay (``delay_of``) wins, capped by config."""
    backoff = tenacity.wait_exponential_jitter(
        multiplier=http.backoff_initial_s, max=http.backoff_max_s, jitter=http.backoff_jitter_s
    )

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = delay_of(exc) if exc is not None else None
        return min(asked, http.retry_after_max_s) if asked is not None else backoff(state)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning("attempt %d failed (%s); retrying in %.2f s", state.attempt_number, exc, delay)

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(retry_on),
        stop=tenacity.stop_after_attempt(http.max_attempts),
        wait=wait,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
