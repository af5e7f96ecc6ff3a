"""Fixtures of the scraper tests: a fixture server on 127.0.0.1 and a config pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deep_classiflie.config import Config
from tests.scrapers.server import FixtureServer


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    """A started fixture server; stopped after the test."""
    srv = FixtureServer().start()
    yield srv
    srv.stop()


def live_http(**over: Any) -> dict[str, Any]:
    """HTTP policy for tests: the local server allowed explicitly, tiny backoff, no politeness delay."""
    http: dict[str, Any] = {
        "allowed_hosts": ["127.0.0.1"],
        "allow_loopback": True,
        "max_attempts": 3,
        "backoff_initial_s": 0.001,
        "backoff_max_s": 0.01,
        "backoff_jitter_s": 0.001,
        "retry_after_max_s": 0.02,
        "min_interval_s": 0.0,
        "timeout_s": 5.0,
        "connect_timeout_s": 5.0,
    }
    http.update(over)
    return http


@pytest.fixture
def live_config(server: FixtureServer) -> Config:
    """A job config whose live sources all point at the fixture server."""
    base = server.base
    return Config.model_validate(
        {
            "scrape": {
                "http": live_http(),
                "factcheck": {"url": f"{base}/claims.json", "page_size": 2},
                "transcripts": {
                    "index_url": f"{base}/json/json-transcript.php",
                    "transcript_base_url": f"{base}/transcript/",
                },
                "tweets": {"api_url": base, "page_size": 5},
            }
        }
    )
