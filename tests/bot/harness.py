"""Run the real ``deep-classiflie bot`` in a subprocess against the fake API (crash tests and the soak bench)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from tests.bot.fake_api import CREDENTIALS, SPEAKER_USER_ID, FakeNetwork
from tests.bot.helpers import register_tiny_model, store_buckets

ROOT = Path(__file__).resolve().parents[2]
SPEAKER_TEXTS = [
    "the fake news media is the enemy of the people",
    "we are building the wall and mexico will pay",
    "china is paying billions in tariffs to our country",
    "the economy is the greatest in the history of our country",
    "nobody has done more for the people than me",
]


def prepare_store(tmp: Path, trained: Path) -> str:
    """A migrated SQLite store with the tiny model (every statement flagged) and high-PPV buckets; its URL."""
    url = f"sqlite:///{tmp / 'store.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    model = register_tiny_model(engine, trained, tmp)
    store_buckets(engine, model["id"])
    engine.dispose()
    return url


def write_config(tmp: Path, fake: FakeNetwork, *, bot: dict[str, Any] | None = None, card: str = "explain") -> Path:
    """A job YAML: the bot ingests the fake's tweet timeline and posts to the fake Twitter, fast retries."""
    section: dict[str, Any] = {
        "publisher": "twitter",
        "sources": [{"name": "tweets_live", "interval_s": 0.2}],
        "poll_s": 0.2,
        "card": card,
        "twitter": {"api_url": fake.base, "upload_url": fake.base},
        "retry": {"initial_s": 0.05, "max_s": 0.5, "jitter_s": 0.05, "timeout_s": 2, "connect_timeout_s": 1},
        "rule": {"daily_cap": 1000},
    }
    section.update(bot or {})
    doc = {
        "job": "bot",
        "paths": {"data_dir": str(tmp / "dc"), "runs_dir": str(tmp / "runs")},
        "scrape": {
            "http": {
                "allowed_hosts": ["127.0.0.1"],
                "allow_loopback": True,
                "min_interval_s": 0,
                "backoff_initial_s": 0.05,
                "backoff_max_s": 0.5,
                "backoff_jitter_s": 0.05,
                "max_attempts": 3,
                "timeout_s": 2,
                "connect_timeout_s": 1,
            },
            "tweets": {"api_url": fake.base, "user_id": SPEAKER_USER_ID, "max_pages": 2},
        },
        "explain": {"n_similar": 0, "n_steps": 4, "formats": ["png", "json"]},
        "bot": section,
    }
    path = tmp / "bot.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def bot_env(db_url: str) -> dict[str, str]:
    """The environment of the bot process: the store and the fake's credentials (settings only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DC_")}
    env.update(
        {
            "DC_DB_URL": db_url,
            "DC_TWITTER_BEARER_TOKEN": CREDENTIALS["bearer_token"],
            "DC_TWITTER_CONSUMER_KEY": CREDENTIALS["consumer_key"],
            "DC_TWITTER_CONSUMER_SECRET": CREDENTIALS["consumer_secret"],
            "DC_TWITTER_ACCESS_TOKEN": CREDENTIALS["access_token"],
            "DC_TWITTER_ACCESS_TOKEN_SECRET": CREDENTIALS["access_token_secret"],
            "OMP_NUM_THREADS": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    return env


def start_bot(config: Path, env: dict[str, str], *args: str, cwd: Path) -> subprocess.Popen[str]:
    """``deep-classiflie --config CONFIG bot ARGS…`` as a child process (stdout and stderr piped)."""
    cmd = [
        sys.executable,
        "-c",
        "from deep_classiflie.cli.main import run; run()",
        "--config",
        str(config),
        "bot",
        *args,
    ]
    return subprocess.Popen(
        cmd, cwd=cwd, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def seed_timeline(fake: FakeNetwork, texts: list[str], *, start: dt.datetime | None = None) -> None:
    """The speaker's tweets on the fake timeline, a day apart (never stitched into one thread)."""
    when = start or dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    for i, text in enumerate(texts):
        fake.add_speaker_tweet(text, when + dt.timedelta(days=i))
