"""Mastodon.py's real HTTP calls against the fake instance: media + status with an idempotency key, 429, 401."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mastodon")

from deep_classiflie.bot.errors import PublishAuthError
from deep_classiflie_db.queries import bot as q
from tests.bot.fake_api import CREDENTIALS, FakeNetwork, Fault
from tests.bot.helpers import add_statements
from tests.bot.test_cycle import TEXTS
from tests.bot.test_twitter import make_bot, settings, twitter_config

FAST = {"timeout_s": 1, "connect_timeout_s": 1, "initial_s": 0.01, "max_s": 0.05, "jitter_s": 0.01}


def mastodon_config(tmp_path: Path, fake: FakeNetwork, **bot):
    cfg = twitter_config(tmp_path, fake, retry=FAST, **bot)
    return cfg.model_copy(update={"bot": cfg.bot.model_copy(update={"publisher": "mastodon"})})


def test_posts_card_and_status_with_its_idempotency_key(ready, fake: FakeNetwork, tmp_path: Path) -> None:
    add_statements(ready, TEXTS[:2])
    report = make_bot(ready, mastodon_config(tmp_path, fake)).cycle()
    assert report.delivery.posted == 2 and fake.hits("m_media") == 2
    rows = q.outbox_rows(ready, network="mastodon")
    by_id = {s["id"]: s for s in fake.statuses}
    for r in rows:
        status = by_id[r["post_id"]]
        assert status["media_attachments"][0]["id"] == r["media_id"]
        assert fake.idempotency[r["idempotency_key"]]["id"] == r["post_id"]
    post = next(s for s in fake.seen if s.endpoint == "m_status")
    assert post.headers["authorization"] == f"Bearer {CREDENTIALS['mastodon_token']}"


@pytest.mark.parametrize(
    "fault",
    [Fault("status", 503), Fault("reset"), Fault("commit_timeout", delay_s=1.5), Fault("status", 429)],
    ids=["503", "reset", "timeout-after-post", "429"],
)
def test_transient_failures_post_exactly_once(ready, fake: FakeNetwork, tmp_path: Path, fault: Fault) -> None:
    add_statements(ready, TEXTS[:1])
    fake.inject("m_status", fault)
    report = make_bot(ready, mastodon_config(tmp_path, fake)).cycle()
    assert report.delivery.posted == 1 and len(fake.statuses) == 1
    assert q.outbox_rows(ready)[0]["post_id"] == fake.statuses[0]["id"]


def test_a_refused_token_stops_the_bot(ready, fake: FakeNetwork, tmp_path: Path) -> None:
    add_statements(ready, TEXTS[:1])
    with pytest.raises(PublishAuthError, match="DC_MASTODON_ACCESS_TOKEN"):
        make_bot(ready, mastodon_config(tmp_path, fake), settings(mastodon_access_token="wrong")).cycle()
