"""tweepy's real HTTP calls against the fake Twitter API: media + tweet, rate limits, 5xx, resets, timeouts, 401."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from deep_classiflie.bot.backoff import Waiter
from deep_classiflie.bot.cycle import Bot
from deep_classiflie.bot.errors import PublishAuthError, Stopping
from deep_classiflie.bot.publishers import make_publisher
from deep_classiflie.config import Config
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.core.settings import Settings
from deep_classiflie_db.queries import bot as q
from deep_classiflie_db.schema import publications
from tests.bot.fake_api import CREDENTIALS, FakeNetwork, Fault, rate_limited
from tests.bot.helpers import PNG, add_statements, bot_config
from tests.bot.test_cycle import TEXTS, StubCards


class NoSleep(Waiter):
    """Records the waits asked for instead of sleeping (the server-side faults are what is under test)."""

    def wait(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.stopping:
            raise Stopping()


def settings(**over: str) -> Settings:
    values = {
        "twitter_consumer_key": CREDENTIALS["consumer_key"],
        "twitter_consumer_secret": CREDENTIALS["consumer_secret"],
        "twitter_access_token": CREDENTIALS["access_token"],
        "twitter_access_token_secret": CREDENTIALS["access_token_secret"],
        "mastodon_access_token": CREDENTIALS["mastodon_token"],
        **over,
    }
    return Settings(**{k: SecretStr(v) for k, v in values.items()})


def twitter_config(tmp_path: Path, fake: FakeNetwork, **bot) -> Config:
    return bot_config(
        tmp_path,
        publisher="twitter",
        twitter={"api_url": fake.base, "upload_url": fake.base},
        mastodon={"api_base_url": fake.base},
        **bot,
    )


def make_bot(engine, cfg: Config, creds: Settings | None = None) -> Bot:
    publisher = make_publisher(cfg.bot, creds or settings(), cfg.paths.data_dir / "bot")
    return Bot(engine, cfg, publisher, waiter=NoSleep(), card_factory=lambda row, clf: StubCards())


def test_posts_card_and_tweet_through_the_real_endpoints(ready, fake: FakeNetwork, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    ids = add_statements(ready, TEXTS[:2])
    bot = make_bot(ready, twitter_config(tmp_path, fake))
    report = bot.cycle()
    assert report.delivery.posted == 2 and fake.hits("media_upload") == 2
    rows = q.outbox_rows(ready, network="twitter")
    assert {r["statement_id"] for r in rows} == set(ids)
    by_id = {t["id"]: t for t in fake.tweets}
    for r in rows:
        tweet = by_id[r["post_id"]]
        assert tweet["text"] == r["text"] and tweet["media_ids"] == [r["media_id"]]
        assert fake.media[r["media_id"]] > len(PNG)  # multipart body with the png
    with ready.connect() as conn:
        published = {(r.external_id, r.channel, r.payload["media_id"]) for r in conn.execute(sa.select(publications))}
    assert published == {(r["post_id"], "bot", r["media_id"]) for r in rows}
    create = next(s for s in fake.seen if s.endpoint == "tweet_create")
    assert create.headers["authorization"].startswith("OAuth ")
    logged = caplog.text + repr([r for r in rows])
    for secret in CREDENTIALS.values():
        assert secret not in logged


@pytest.mark.parametrize(
    ("faults", "asked"),
    [
        ([rate_limited(reset_in_s=30)], (25.0, 31.0)),
        ([rate_limited(reset_in_s=30, retry_after=7)], (7.0, 7.0)),
        ([Fault("status", 503, {"retry-after": "3"})], (3.0, 3.0)),
        ([Fault("status", 500)], (0.0, 0.1)),
        ([Fault("reset")], (0.0, 0.1)),
        ([Fault("timeout", delay_s=1.5)], (0.0, 0.1)),
    ],
    ids=["429-reset-header", "429-retry-after", "503-retry-after", "500", "connection-reset", "timeout"],
)
def test_transient_failures_are_retried_with_the_servers_delay(
    ready, fake: FakeNetwork, tmp_path: Path, faults: list[Fault], asked: tuple[float, float]
) -> None:
    add_statements(ready, TEXTS[:1])
    fake.inject("tweet_create", *faults)
    bot = make_bot(
        ready,
        twitter_config(
            tmp_path,
            fake,
            retry={"timeout_s": 1, "connect_timeout_s": 1, "initial_s": 0.01, "max_s": 0.05, "jitter_s": 0.01},
        ),
    )
    assert bot.cycle().delivery.posted == 1
    assert len(fake.tweets) == 1
    assert asked[0] <= bot.waiter.slept[0] <= asked[1]
    # the retry asked the network first (the failed try may have gone through) and found nothing
    assert fake.hits("timeline") == 1


def test_a_timeout_after_the_tweet_was_made_finds_it_instead_of_posting_again(
    ready, fake: FakeNetwork, tmp_path: Path
) -> None:
    add_statements(ready, TEXTS[:1])
    fake.inject("tweet_create", Fault("commit_timeout", delay_s=1.5))
    bot = make_bot(
        ready,
        twitter_config(
            tmp_path,
            fake,
            retry={"timeout_s": 1, "connect_timeout_s": 1, "initial_s": 0.01, "max_s": 0.05, "jitter_s": 0.01},
        ),
    )
    report = bot.cycle()
    assert (report.delivery.posted, report.delivery.found) == (1, 1)
    assert len(fake.tweets) == 1 and fake.hits("tweet_create") == 1
    assert q.outbox_rows(ready)[0]["post_id"] == fake.tweets[0]["id"]


def test_a_network_that_stays_down_leaves_the_post_pending_and_the_bot_alive(
    ready, fake: FakeNetwork, tmp_path: Path
) -> None:
    add_statements(ready, TEXTS[:1])
    fake.inject("tweet_create", *[Fault("status", 502)] * 3)
    bot = make_bot(
        ready,
        twitter_config(tmp_path, fake, retry={"max_attempts": 3, "initial_s": 0.01, "max_s": 0.05, "jitter_s": 0.01}),
    )
    first = bot.cycle()
    assert (first.delivery.posted, first.delivery.pending) == (0, 1)
    row = q.outbox_rows(ready)[0]
    assert row["status"] == "pending" and row["attempts"] == 3 and "502" in row["last_error"]
    second = bot.cycle()  # the network is back
    assert second.delivery.posted == 1 and len(fake.tweets) == 1


def test_a_refused_tweet_is_failed_not_retried(ready, fake: FakeNetwork, tmp_path: Path) -> None:
    add_statements(ready, TEXTS[:2])
    fake.inject("tweet_create", Fault("status", 400))
    report = make_bot(ready, twitter_config(tmp_path, fake)).cycle()
    assert (report.delivery.failed, report.delivery.posted) == (1, 1)
    assert sorted(r["status"] for r in q.outbox_rows(ready)) == ["failed", "posted"]


def test_a_403_for_duplicate_content_is_a_refused_post_not_a_stop(ready, fake: FakeNetwork, tmp_path: Path) -> None:
    add_statements(ready, TEXTS[:2])
    detail = "You are not allowed to create a Tweet with duplicate content."
    fake.inject("tweet_create", Fault("status", 403, detail=detail))
    report = make_bot(ready, twitter_config(tmp_path, fake)).cycle()
    assert (report.delivery.failed, report.delivery.posted) == (1, 1)
    assert "duplicate content" in next(r["last_error"] for r in q.outbox_rows(ready) if r["status"] == "failed")


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_stop_the_bot(ready, fake: FakeNetwork, tmp_path: Path, status: int) -> None:
    add_statements(ready, TEXTS[:1])
    fake.auth_status = status
    with pytest.raises(PublishAuthError, match=rf"refused the bot's credentials \({status}\)") as err:
        make_bot(ready, twitter_config(tmp_path, fake)).cycle()
    assert "DC_TWITTER_CONSUMER_KEY" in str(err.value)
    assert q.outbox_rows(ready)[0]["status"] == "pending"  # kept for when the credentials are fixed


def test_wrong_credentials_are_a_401_from_the_server(ready, fake: FakeNetwork, tmp_path: Path) -> None:
    add_statements(ready, TEXTS[:1])
    with pytest.raises(PublishAuthError, match=r"\(401\)"):
        make_bot(ready, twitter_config(tmp_path, fake), settings(twitter_consumer_key="wrong")).cycle()


def test_missing_credentials_name_the_settings(tmp_path: Path, fake: FakeNetwork) -> None:
    cfg = twitter_config(tmp_path, fake)
    with pytest.raises(ConfigError, match="DC_TWITTER_ACCESS_TOKEN_SECRET is not set"):
        make_publisher(cfg.bot, settings(twitter_access_token_secret=""), tmp_path)


def test_a_lookup_never_takes_another_statements_post_with_the_same_text(
    ready, fake: FakeNetwork, tmp_path: Path
) -> None:
    """Two statements with the same words and date make the same text once links are left out."""
    import datetime as dt

    add_statements(ready, ["the same words twice"], start=dt.datetime(2021, 5, 1))
    add_statements(ready, ["the same words twice"], start=dt.datetime(2021, 5, 1))
    fake.inject("tweet_create", Fault("ok"), Fault("status", 503))  # the second post's first try fails
    bot = make_bot(ready, twitter_config(tmp_path, fake))
    assert bot.cycle().delivery.posted == 2
    rows = q.outbox_rows(ready)
    assert len({r["post_id"] for r in rows}) == 2 and len(fake.tweets) == 2
