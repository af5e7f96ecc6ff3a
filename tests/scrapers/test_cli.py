"""``deep-classiflie ingest --source <live source>`` end to end: exit codes and messages."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from deep_classiflie.cli.main import main
from tests.scrapers.server import FixtureServer
from tests.scrapers.test_factcheck import serve_claims

FAST = [
    "--set",
    "scrape.http.max_attempts=2",
    "--set",
    "scrape.http.backoff_initial_s=0.001",
    "--set",
    "scrape.http.backoff_max_s=0.001",
    "--set",
    "scrape.http.min_interval_s=0",
]


@pytest.fixture
def store_url(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DC_DB_URL", url)
    return url


def test_ingest_live_source_from_the_cli(
    store_url: str, server: FixtureServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_claims(server)
    argv = [
        *FAST,
        "--set",
        f"scrape.factcheck.url={server.base}/claims.json",
        "--set",
        "scrape.http.allowed_hosts=[127.0.0.1]",
        "--set",
        "scrape.http.allow_loopback=true",
        "ingest",
        "--source",
        "factcheck_live",
    ]
    assert main(argv) == 0
    assert "factcheck_live: read 6, inserted 5" in capsys.readouterr().out


def test_loopback_refused_without_the_flag(
    store_url: str, server: FixtureServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        *FAST,
        "--set",
        f"scrape.factcheck.url={server.base}/claims.json",
        "--set",
        "scrape.http.allowed_hosts=[127.0.0.1]",
        "ingest",
        "--source",
        "factcheck_live",
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: refusing http://127.0.0.1:") and "a loopback address" in err
    assert "scrape.http.allow_loopback=true" in err
    assert server.seen == []
