"""Live tweet timeline through tweepy's v2 Client, against a local fake of the API serving recorded pages."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.core.errors import ConfigError, FetchError
from deep_classiflie.core.settings import Settings
from deep_classiflie_db.ingest.pipeline import StatementRecord
from deep_classiflie_db.queries.ingest import last_watermark
from deep_classiflie_db.schema import statements
from deep_classiflie_db.scrapers.tweets import bearer_token, is_retweet, scrape_tweets, tweet_record
from tests.scrapers.server import FixtureServer, Reply

USER = "/2/users/by/username/realDonaldTrump"
TIMELINE = "/2/users/25073877/tweets"
NEWEST = "1194999999999999003"
SETTINGS = Settings(_env_file=None, twitter_bearer_token=SecretStr("test-token"))  # type: ignore[call-arg]


def serve_api(server: FixtureServer) -> None:
    server.file(USER, "twitter/user.json")
    server.file(TIMELINE, "twitter/tweets_p1.json")
    server.file(TIMELINE, "twitter/tweets_p2.json", query={"pagination_token": "page2token"})
    server.file(TIMELINE, "twitter/tweets_since.json", query={"since_id": NEWEST})


def stored_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {r.external_id for r in conn.execute(sa.select(statements.c.external_id))}


def test_timeline_pages_into_the_store(engine: Engine, server: FixtureServer, live_config: Config) -> None:
    serve_api(server)
    report = scrape_tweets(engine, live_config, settings=SETTINGS)

    assert [s.path for s in server.seen] == [USER, TIMELINE, TIMELINE]
    first, second = (s for s in server.seen if s.path == TIMELINE)
    assert first.query["max_results"] == "5" and "created_at" in first.query["tweet.fields"]
    assert second.query["pagination_token"] == "page2token"
    assert {s.headers["authorization"] for s in server.seen} == {"Bearer test-token"}
    assert all(s.headers["user-agent"].startswith("DeepClassiflie/") for s in server.seen)
    # the retweet is read but skipped (ingest.tweets.exclude_retweets)
    assert (report.read, report.inserted, report.skipped) == (3, 2, 1)
    assert stored_ids(engine) == {NEWEST, "999999999999999001"}
    # an 18-digit id must not beat a 19-digit one: the watermark is zero-padded
    assert last_watermark(engine, source_name="tweets_live") == f"{int(NEWEST):020d}"


def test_rerun_asks_only_for_tweets_since_the_watermark(
    engine: Engine, server: FixtureServer, live_config: Config
) -> None:
    serve_api(server)
    config = live_config.model_copy(deep=True)
    config.scrape.tweets.user_id = "25073877"  # no user lookup
    scrape_tweets(engine, config, settings=SETTINGS)
    server.reset_log()

    report = scrape_tweets(engine, config, settings=SETTINGS)

    assert [(s.path, s.query.get("since_id")) for s in server.seen] == [(TIMELINE, NEWEST)]
    assert report.inserted == 1 and "1195000000000000004" in stored_ids(engine)


def test_rate_limit_waits_for_the_reset_then_retries(
    engine: Engine, server: FixtureServer, live_config: Config
) -> None:
    serve_api(server)
    reset = str(int(time.time()) + 600)
    server.add(
        TIMELINE,
        Reply(status=429, file="common/rate_limited.json", headers={"x-rate-limit-reset": reset}),
        Reply(file="twitter/tweets_p2.json"),
    )
    sleeps: list[float] = []
    report = scrape_tweets(engine, live_config, settings=SETTINGS, sleep=sleeps.append)
    assert server.hits(TIMELINE) == 2 and report.inserted == 1
    assert sleeps == [0.02]  # the reset is ~600 s away; the test config caps the wait


def test_rejected_token_is_a_clear_error(engine: Engine, server: FixtureServer, live_config: Config) -> None:
    server.add(USER, Reply(status=401, body=b'{"title": "Unauthorized"}'))
    with pytest.raises(FetchError, match="rejected the bearer token") as err:
        scrape_tweets(engine, live_config, settings=SETTINGS)
    assert "DC_TWITTER_BEARER_TOKEN" in (err.value.hint or "")
    assert server.hits(USER) == 1


def test_missing_token_says_how_to_set_it() -> None:
    with pytest.raises(ConfigError, match="no Twitter API bearer token") as err:
        bearer_token(Settings(_env_file=None, twitter_bearer_token=None))  # type: ignore[call-arg]
    assert "DC_TWITTER_BEARER_TOKEN" in (err.value.hint or "")


def test_api_host_on_a_link_local_address_is_refused(engine: Engine, live_config: Config) -> None:
    config = live_config.model_copy(deep=True)
    config.scrape.http.allowed_hosts = ["169.254.169.254"]
    config.scrape.tweets.api_url = "http://169.254.169.254"
    with pytest.raises(FetchError, match="link-local"):
        scrape_tweets(engine, config, settings=SETTINGS)


def test_tweet_record_and_retweets() -> None:
    record = tweet_record(
        {"id": "5", "text": "Hello &amp; welcome", "created_at": "2019-11-13T12:30:00.000Z"}, speaker="s", where="w"
    )
    assert isinstance(record, StatementRecord) and record.statement_type == "tweet"
    assert record.statement_date is not None and record.statement_date.tzinfo is None
    assert is_retweet({"text": "RT @someone: hi"})
    assert is_retweet({"text": "hi", "referenced_tweets": [{"type": "retweeted", "id": "1"}]})
    assert not is_retweet({"text": "hi", "referenced_tweets": [{"type": "quoted", "id": "1"}]})
    assert not isinstance(tweet_record({"id": "x", "text": "t"}, speaker="s", where="w"), StatementRecord)
