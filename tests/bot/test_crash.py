"""Exactly once under SIGKILL: the bot process is killed at each step of a post and restarted until it is done.

The fake kills the bot while handling the request of the step, so the kill lands exactly there:
1) media upload received, nothing done (the outbox row is written, nothing is on the network);
2) media uploaded, the answer never arrives (the media id is not stored);
3) tweet request received, no tweet made (the media id is stored);
4) tweet made, the answer never arrives (the network has the post, the store says pending).
After the last restart every statement is posted exactly once and every post is in the store.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.queries import bot as q
from deep_classiflie_db.schema import bot_analyses
from tests.bot.fake_api import FakeNetwork, Fault
from tests.bot.harness import SPEAKER_TEXTS, bot_env, prepare_store, seed_timeline, start_bot, write_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_sigkill_at_every_step_of_a_post_neither_duplicates_nor_loses(trained_tiny: Path, tmp_path: Path) -> None:
    url = prepare_store(tmp_path, trained_tiny)
    procs: list[subprocess.Popen[str]] = []
    kills: list[int] = []

    def killer() -> None:
        proc = procs[-1]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        kills.append(proc.returncode)

    fake = FakeNetwork(killer=killer).start()
    try:
        seed_timeline(fake, SPEAKER_TEXTS[:3])
        fake.inject("media_upload", Fault("kill_before"), Fault("kill_after"))
        fake.inject("tweet_create", Fault("kill_before"), Fault("kill_after"))
        config = write_config(tmp_path, fake)
        env = bot_env(url)
        for _ in range(6):  # four kills, then a clean run
            procs.append(start_bot(config, env, "run", "--max-cycles", "2", cwd=tmp_path))
            out, err = procs[-1].communicate(timeout=240)
            if procs[-1].returncode == 0:
                break
            assert procs[-1].returncode == -signal.SIGKILL, err
        assert procs[-1].returncode == 0, err
        assert "posted" in out
    finally:
        fake.stop()
    assert kills == [-signal.SIGKILL] * 4
    texts = [t["text"] for t in fake.tweets]
    assert len(texts) == 3 and len(set(texts)) == 3  # no duplicates
    engine = make_engine(url)
    rows = q.outbox_rows(engine, network="twitter")
    assert [r["status"] for r in rows] == ["posted"] * 3  # nothing lost
    assert {r["post_id"] for r in rows} == {t["id"] for t in fake.tweets}
    assert all(t["media_ids"] == [r["media_id"]] for r in rows for t in fake.tweets if t["id"] == r["post_id"])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(bot_analyses)).scalar_one() == 3
    # the first post took four kills: its count of tries shows every restart asked the network first
    assert rows[0]["attempts"] == 5 and fake.hits("timeline") >= 4
    engine.dispose()
