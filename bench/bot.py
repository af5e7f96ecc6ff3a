"""Bot soak: ``bot run`` for ≥ 200 cycles against the fake Twitter API with faults, and one SIGKILL mid-post.

The fake (``tests/bot/fake_api.py``, real HTTP on 127.0.0.1) answers a share of the bot's requests with a 429
(rate-limit headers), a 500/503, a connection reset or a timeout after the tweet was made; a feeder thread adds a
new speaker tweet to the fake timeline every ``--feed-every`` seconds. Once, the fake SIGKILLs the bot right after
making a tweet (before the bot hears of it); the bench restarts the bot and goes on counting cycles. At the end the
faults stop and one more short run drains what is pending; then every tweet on the fake is compared with the store.

Side by side, the usual alternative under the same faults: post, then record, and retry blindly on any error
(the original bot's loop), in-process with tweepy against a second fake.

    nice -n 10 .venv/bin/python bench/bot.py [--cycles 200] [--tweets 40] [--max-seconds 900] [--card explain|none]

duplicates = tweets beyond the first with the same text; lost = statements ruled "post" that are not on the
network, plus tweets the store does not know. The last line is
``RESULT cycles=… posts=… duplicates=… lost=… max_rss_mb=… naive_duplicates=… naive_lost=…``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deep_classiflie.config import Config
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.queries import bot as q
from tests.bot.fake_api import CREDENTIALS, FakeNetwork, Fault, rate_limited
from tests.bot.harness import bot_env, prepare_store, start_bot, write_config

FAULTS = [
    rate_limited(reset_in_s=1),
    rate_limited(reset_in_s=1, retry_after=1),
    Fault("status", 500),
    Fault("status", 503, {"retry-after": "1"}),
    Fault("reset"),
    Fault("commit_timeout", delay_s=1.2),
]
CHAOS = {"tweet_create": 0.2, "media_upload": 0.1, "timeline": 0.1, "me": 0.1}
KILL_AFTER_TWEET = 6
CYCLE = re.compile(r"bot\.daemon: cycle \d+:")


def train_tiny(tmp: Path) -> Path:
    """A tiny random encoder and a head trained on it for one epoch (the model the bot loads)."""
    import torch

    from deep_classiflie.model.tiny import make_tiny_encoder
    from deep_classiflie.train.api import train_model
    from tests.train.conftest import make_split

    torch.set_num_threads(1)
    encoder = make_tiny_encoder(tmp / "encoder")
    cfg = Config.model_validate(
        {
            "paths": {"data_dir": str(tmp / "train_dc"), "runs_dir": str(tmp / "runs")},
            "encoder": {"path": str(encoder), "max_length": 32, "batch_size": 8},
            "train": {"epochs": 1, "batch_size": 8},
        }
    )
    splits = {"train": make_split("train", 16, seed=0), "val": make_split("val", 8, seed=1)}
    return train_model(None, cfg, splits, collection_id=None, out_dir=tmp / "models").folder


class RssSampler(threading.Thread):
    """Samples the bot process's resident memory every 0.2 s; keeps the maximum (MiB)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.pid: int | None = None
        self.max_mb = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            if self.pid is None:
                continue
            with contextlib.suppress(psutil.Error):
                self.max_mb = max(self.max_mb, psutil.Process(self.pid).memory_info().rss / 2**20)


def feeder(fake: FakeNetwork, stop: threading.Event, every: float, limit: int) -> None:
    """A new speaker tweet every ``every`` seconds, a day apart in tweet time (never stitched into a thread)."""
    start = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    for i in range(limit):
        if stop.wait(every):
            return
        fake.add_speaker_tweet(f"statement number {i} about the economy and the wall", start + dt.timedelta(days=i))


def soak(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """Run the bot until ``args.cycles`` cycles are done (one SIGKILL on the way); count posts, duplicates, losses."""
    url = prepare_store(tmp, train_tiny(tmp))
    sampler = RssSampler()
    sampler.start()
    procs: list[subprocess.Popen[str]] = []
    kills = []

    def killer() -> None:
        procs[-1].send_signal(signal.SIGKILL)
        procs[-1].wait(timeout=60)
        kills.append(time.monotonic())

    fake = FakeNetwork(killer=killer).start()
    fake.chaos, fake.chaos_kinds = dict(CHAOS), list(FAULTS)
    # the SIGKILL mid-post: right after the 6th tweet is made, before the bot hears of it
    made = fake.act

    def act(*a):  # type: ignore[no-untyped-def]
        out = made(*a)
        if a[0] == "tweet_create" and len(fake.tweets) == KILL_AFTER_TWEET and not kills:
            killer()
        return out

    fake.act = act  # type: ignore[method-assign]
    stop = threading.Event()
    feed = threading.Thread(target=feeder, args=(fake, stop, args.feed_every, args.tweets), daemon=True)
    feed.start()
    retry = {
        "initial_s": 0.02,
        "max_s": 0.2,
        "jitter_s": 0.02,
        "retry_after_max_s": 0.3,
        "timeout_s": 1,
        "connect_timeout_s": 1,
    }
    config = write_config(
        tmp,
        fake,
        card=args.card,
        bot={"sources": [{"name": "tweets_live", "interval_s": 0.05}], "poll_s": 0.05, "retry": retry},
    )
    env = bot_env(url)
    cycles = 0
    deadline = time.monotonic() + args.max_seconds
    try:
        while cycles < args.cycles and time.monotonic() < deadline:
            left = max(1, args.cycles - cycles)
            procs.append(
                start_bot(
                    config,
                    env,
                    "run",
                    "--max-cycles",
                    str(left),
                    "--max-seconds",
                    str(int(deadline - time.monotonic())),
                    cwd=tmp,
                )
            )
            sampler.pid = procs[-1].pid
            _, err = procs[-1].communicate(timeout=args.max_seconds + 120)
            cycles += len(CYCLE.findall(err))
            if procs[-1].returncode not in (0, -signal.SIGKILL):
                raise SystemExit(f"bot exited with {procs[-1].returncode}:\n{err[-3000:]}")
        # faults off, feeder off: one short run delivers what is still pending
        stop.set()
        fake.chaos = {}
        procs.append(start_bot(config, env, "run", "--max-cycles", "3", cwd=tmp))
        sampler.pid = procs[-1].pid
        _, err = procs[-1].communicate(timeout=600)
        cycles += len(CYCLE.findall(err))
    finally:
        stop.set()
        sampler.done.set()
        fake.stop()
    engine = make_engine(url)
    rows = q.outbox_rows(engine, network="twitter")
    decided = q.decision_counts(engine).get("publish", 0)
    engine.dispose()
    texts = collections.Counter(t["text"] for t in fake.tweets)
    on_network = {t["id"] for t in fake.tweets}
    recorded = {r["post_id"] for r in rows if r["status"] == "posted"}
    pending = sum(1 for r in rows if r["status"] == "pending")
    lost = sum(1 for r in rows if r["status"] == "posted" and r["post_id"] not in on_network)
    lost += len(on_network - recorded) + max(0, decided - len(rows)) + pending
    faults = ", ".join(f"{k} {n}" for k, n in sorted(fake.served_faults.items()))
    print(
        f"  soak: {cycles} cycles in {len(procs)} runs ({len(kills)} SIGKILL), {len(fake.tweets)} tweets, "
        f"{len(rows)} outbox rows ({pending} pending), {sum(texts.values()) - len(texts)} duplicate texts, "
        f"faults served: {faults}; {len(fake.seen)} requests; max RSS {sampler.max_mb:.0f} MiB"
    )
    return {
        "cycles": cycles,
        "posts": len(fake.tweets),
        "duplicates": sum(texts.values()) - len(texts),
        "lost": lost,
        "max_rss_mb": round(sampler.max_mb),
        "kills": len(kills),
    }


def naive(n_posts: int) -> dict[str, int]:
    """The original's loop under the same faults: post, record after success, retry on any error, no lookup."""
    import requests
    import tweepy

    from deep_classiflie.bot.twitter_publisher import RoutedSession

    fake = FakeNetwork().start()
    fake.chaos, fake.chaos_kinds = {"tweet_create": CHAOS["tweet_create"]}, list(FAULTS)
    client = tweepy.Client(
        consumer_key=CREDENTIALS["consumer_key"],
        consumer_secret=CREDENTIALS["consumer_secret"],
        access_token=CREDENTIALS["access_token"],
        access_token_secret=CREDENTIALS["access_token_secret"],
        return_type=dict,
    )
    client.session = RoutedSession({"https://api.twitter.com": fake.base}, timeout=(1, 1))
    recorded = []
    try:
        for i in range(n_posts):
            text = f"statement number {i} about the economy and the wall"
            if i == KILL_AFTER_TWEET - 1:  # the crash mid-post: the tweet is made, the process dies before recording it
                client.create_tweet(text=text)
            for _ in range(20):
                try:
                    recorded.append(client.create_tweet(text=text)["data"]["id"])
                    break
                except (tweepy.TweepyException, requests.RequestException):
                    time.sleep(0.02)
    finally:
        fake.stop()
    texts = collections.Counter(t["text"] for t in fake.tweets)
    return {
        "naive_duplicates": sum(texts.values()) - len(texts),
        "naive_lost": len({t["id"] for t in fake.tweets} - set(recorded)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--max-seconds", type=float, default=900.0, help="bound on the soak's bot runs")
    parser.add_argument("--feed-every", type=float, default=1.0, help="seconds between new speaker tweets")
    parser.add_argument("--tweets", type=int, default=40, help="speaker tweets fed in during the soak")
    parser.add_argument("--card", choices=["explain", "none"], default="explain")
    args = parser.parse_args()
    os.nice(10)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dc_bot_soak_") as tmp:
        result = soak(args, Path(tmp))
    result.update(naive(int(result["posts"])))
    print(f"  total {time.monotonic() - started:.0f} s")
    keys = ["cycles", "posts", "duplicates", "lost", "max_rss_mb", "naive_duplicates", "naive_lost"]
    print("RESULT " + " ".join(f"{k}={result[k]}" for k in keys))


if __name__ == "__main__":
    main()
