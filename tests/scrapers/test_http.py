"""The shared HTTP layer against a real local server: retries, robots.txt, redirects, guards, User-Agent."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from deep_classiflie import __version__
from deep_classiflie.config.scrape import HttpConfig
from deep_classiflie.core.errors import FetchError
from deep_classiflie_db.scrapers.http import HttpStatusError, open_fetcher
from deep_classiflie_db.scrapers.policy import RateLimiter, address_refusal, parse_retry_after
from tests.scrapers.conftest import live_http
from tests.scrapers.server import FixtureServer, Reply


def fetcher_for(sleeps: list[float] | None = None, **over: object):
    """A fetcher with the test policy; sleeps are recorded instead of slept."""
    record = sleeps if sleeps is not None else []
    return open_fetcher(HttpConfig.model_validate(live_http(**over)), sleep=record.append)


@pytest.fixture
def site(server: FixtureServer) -> FixtureServer:
    server.file("/robots.txt", "factcheck/robots.txt")
    return server


def test_sends_an_honest_user_agent(site: FixtureServer) -> None:
    site.file("/data.json", "common/ok.json")
    with fetcher_for() as fetcher:
        assert fetcher.get_json(f"{site.base}/data.json") == {"ok": True}
    agents = {s.headers["user-agent"] for s in site.seen}
    assert agents == {f"DeepClassiflie/{__version__} (+https://github.com/speediedan/deep_classiflie)"}


def test_429_then_200_is_retried_honouring_retry_after(site: FixtureServer) -> None:
    site.add(
        "/data.json",
        Reply(status=429, file="common/rate_limited.json", headers={"Retry-After": "7"}),
        Reply(file="common/ok.json"),
    )
    sleeps: list[float] = []
    with fetcher_for(sleeps) as fetcher:
        assert fetcher.get_json(f"{site.base}/data.json") == {"ok": True}
    assert site.hits("/data.json") == 2
    # The server asked for 7 s; the test config caps what is honoured at 0.02 s.
    assert sleeps == [0.02]


def test_503_is_retried_with_bounded_backoff(site: FixtureServer) -> None:
    site.add("/data.json", Reply(status=503, file="common/error_500.html"), Reply(file="common/ok.json"))
    sleeps: list[float] = []
    with fetcher_for(sleeps) as fetcher:
        fetcher.get(f"{site.base}/data.json")
    assert site.hits("/data.json") == 2
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 0.01 + 0.001


def test_persistent_500_gives_up_after_max_attempts(site: FixtureServer) -> None:
    site.add("/data.json", Reply(status=500, file="common/error_500.html"))
    with fetcher_for() as fetcher, pytest.raises(HttpStatusError, match=r"HTTP 500 .* after 3 attempts") as err:
        fetcher.get(f"{site.base}/data.json")
    assert err.value.status == 500 and err.value.hint
    assert site.hits("/data.json") == 3


def test_404_is_not_retried(site: FixtureServer) -> None:
    with fetcher_for() as fetcher, pytest.raises(HttpStatusError, match="HTTP 404"):
        fetcher.get(f"{site.base}/missing.json")
    assert site.hits("/missing.json") == 1


def test_connection_errors_are_retried_then_reported() -> None:
    srv = FixtureServer().start()
    base = srv.base
    srv.stop()  # nothing listens on the port any more
    with (
        fetcher_for(respect_robots=False) as fetcher,
        pytest.raises(FetchError, match="after 3 attempts: ConnectError"),
    ):
        fetcher.get(f"{base}/data.json")
    with fetcher_for() as fetcher, pytest.raises(FetchError, match=r"robots.txt of .* cannot be read .*ConnectError"):
        fetcher.get(f"{base}/data.json")


def test_robots_disallow_skips_without_fetching(site: FixtureServer) -> None:
    site.file("/private/data.json", "common/ok.json")
    with fetcher_for() as fetcher, pytest.raises(FetchError, match=r"robots.txt of .* disallows"):
        fetcher.get(f"{site.base}/private/data.json")
    assert site.hits("/private/data.json") == 0
    assert site.hits("/robots.txt") == 1


def test_robots_is_read_once_per_origin(site: FixtureServer) -> None:
    site.file("/data.json", "common/ok.json")
    with fetcher_for() as fetcher:
        for _ in range(3):
            fetcher.get(f"{site.base}/data.json")
    assert site.hits("/robots.txt") == 1


def test_missing_robots_allows_and_failing_robots_denies(server: FixtureServer) -> None:
    server.file("/data.json", "common/ok.json")
    with fetcher_for() as fetcher:
        fetcher.get(f"{server.base}/data.json")  # robots.txt is a 404: everything allowed
    server.add("/robots.txt", Reply(status=500, file="common/error_500.html"))
    with fetcher_for() as fetcher:
        for _ in range(2):  # the verdict is kept: robots.txt is asked once
            with pytest.raises(FetchError, match=r"robots.txt of .* cannot be read .*HTTP 500"):
                fetcher.get(f"{server.base}/data.json")
    assert server.hits("/robots.txt") == 1 + 3
    assert server.hits("/data.json") == 1


def test_redirect_within_the_host_is_followed(site: FixtureServer) -> None:
    site.add("/old.json", Reply(status=301, headers={"Location": "/new.json"}))
    site.file("/new.json", "common/ok.json")
    with fetcher_for() as fetcher:
        page = fetcher.get(f"{site.base}/old.json")
    assert page.url.endswith("/new.json") and page.json() == {"ok": True}


def test_redirect_to_another_host_is_refused(site: FixtureServer) -> None:
    site.add("/go.json", Reply(status=302, headers={"Location": "http://evil.example/steal.json"}))
    with fetcher_for() as fetcher, pytest.raises(FetchError, match="redirects to another host"):
        fetcher.get(f"{site.base}/go.json")
    assert [s.path for s in site.seen] == ["/robots.txt", "/go.json"]


def test_loopback_is_refused_by_default_without_sending(site: FixtureServer) -> None:
    with fetcher_for(allow_loopback=False) as fetcher, pytest.raises(FetchError, match="loopback") as err:
        fetcher.get(f"{site.base}/data.json")
    assert "allow_loopback" in (err.value.hint or "")
    assert site.seen == []


def test_hosts_outside_the_allowlist_are_refused(site: FixtureServer) -> None:
    with fetcher_for(allowed_hosts=["factba.se"]) as fetcher, pytest.raises(FetchError, match="allowed_hosts"):
        fetcher.get(f"{site.base}/data.json")
    assert site.seen == []


@pytest.mark.parametrize(
    ("url", "resolves_to", "why"),
    [
        ("http://10.0.0.1/x", ["10.0.0.1"], "private"),
        ("http://metadata.internal/latest/meta-data/", ["169.254.169.254"], "link-local"),
        ("http://rebind.example/x", ["93.184.216.34", "192.168.1.10"], "private"),
        ("http://v6.example/x", ["::ffff:10.0.0.1"], "private"),
    ],
    ids=["private-ip", "cloud-metadata", "one-bad-address-of-many", "ipv4-mapped-ipv6"],
)
def test_private_and_link_local_addresses_are_refused_without_traffic(
    url: str, resolves_to: list[str], why: str
) -> None:
    sent: list[httpx.Request] = []
    host = httpx.URL(url).host

    def tripwire(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    fetcher = open_fetcher(
        HttpConfig.model_validate(live_http(allowed_hosts=[host])),
        resolve=lambda _host, _port: resolves_to,
        # A tripwire, not a stand-in: the guard must refuse before any transport is used.
        transport=httpx.MockTransport(tripwire),
    )
    with fetcher, pytest.raises(FetchError, match=why):
        fetcher.get(url)
    assert sent == []


@pytest.mark.parametrize(
    ("address", "allow_loopback", "refused"),
    [
        ("8.8.8.8", False, False),
        ("2606:4700:4700::1111", False, False),
        ("127.0.0.1", False, True),
        ("127.0.0.1", True, False),
        ("::1", True, False),
        ("10.1.2.3", True, True),
        ("172.16.0.1", True, True),
        ("192.168.0.1", True, True),
        ("169.254.169.254", True, True),
        ("100.64.0.1", True, True),
        ("fd00::1", True, True),
        ("fe80::1%eth0", True, True),
        ("0.0.0.0", True, True),
        ("224.0.0.1", True, True),
    ],
)
def test_address_refusal_table(address: str, allow_loopback: bool, refused: bool) -> None:
    assert (address_refusal(address, allow_loopback=allow_loopback) is not None) is refused


def test_retry_after_forms() -> None:
    now = dt.datetime(2020, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 01 Jan 2020 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2020 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_rate_limiter_spaces_requests_per_origin() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(1.0, clock=lambda: now[0], sleep=sleep)
    limiter.wait("http://a:80")  # first request: no wait
    now[0] += 0.4
    limiter.wait("http://a:80")  # 0.4 s later: waits the remaining 0.6 s
    limiter.wait("http://b:80")  # another origin: no wait
    now[0] += 1.5
    limiter.wait("http://a:80", 2.0)  # Crawl-delay 2 s, 1.5 s later: waits 0.5 s
    assert sleeps == [pytest.approx(0.6), pytest.approx(0.5)]


def test_connects_to_the_vetted_address_not_a_second_lookup(site: FixtureServer) -> None:
    """DNS pinning: the name is resolved once, checked, and that address is the one connected to.

    ``rebind.test`` has no DNS entry at all: the fetch can only succeed by connecting to the address the
    guard vetted, with the name kept in the Host header.
    """
    site.file("/data.json", "common/ok.json")
    port = httpx.URL(site.base).port
    lookups: list[str] = []

    def resolve(host: str, _port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    http = HttpConfig.model_validate(live_http(allowed_hosts=["rebind.test"]))
    with open_fetcher(http, resolve=resolve) as fetcher:
        assert fetcher.get_json(f"http://rebind.test:{port}/data.json") == {"ok": True}
    assert {s.headers["host"] for s in site.seen} == {f"rebind.test:{port}"}
    assert lookups == ["rebind.test"] * len(site.seen)  # one vetted lookup per request (robots.txt, data)
