"""SIGKILL the publisher at seeded points ≥ 10 times, then run it to completion: the log and the feed equal an
uninterrupted run's (nothing published twice, nothing lost), and IPFS holds exactly the current feed's pin; and
the one interleaving that once broke it (a crash between the file and the IPFS write), raised at that exact step."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.publish import run
from deep_classiflie.publish.feed import CHANNEL
from deep_classiflie.publish.run import feed_path, make_sinks, publish_once
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.queries import publish as q
from deep_classiflie_db.schema import predictions, publications
from tests.publish.conftest import N_NEW, PublishStore, build_store
from tests.publish.ipfs_server import FakeIpfs

ROOT = Path(__file__).resolve().parents[2]
KILLS = 10
MAX_RUNS = 40  # bound on killed runs that end before their kill point
# Enough new statements that ten killed runs cannot finish the work on a fast, idle machine (30 could).
N_CRASH = 120
CHILD_TIMEOUT_S = 300
PUBLISHER = """
import json, sys
import torch
torch.set_num_threads(1)
from deep_classiflie.config import Config
from deep_classiflie.publish.run import make_sinks, publish_once
from deep_classiflie_db.engine import make_engine
cfg = Config.model_validate(json.loads(sys.argv[2]))
publish_once(make_engine(sys.argv[1]), cfg, make_sinks(cfg), on_event=lambda e: print(e, flush=True))
print("done", flush=True)
"""
# Small batches and frequent feed writes: many commit points and sink writes to land a kill between.
PUBLISH = {"batch_size": 2, "feed_every_batches": 3}


def run_publisher(url: str, config: dict, kill_after: int | None, rng: random.Random) -> bool:
    """Run the publisher in a subprocess; with ``kill_after``, SIGKILL it that many events in plus a few ms."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, url, json.dumps(config)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    try:
        for seen, line in enumerate(proc.stdout, 1):
            if line.startswith("done"):
                break
            if kill_after is not None and seen >= kill_after:
                # land inside the next step (scoring, the commit, a sink write), not at its edge
                time.sleep(rng.uniform(0, 0.02))
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=CHILD_TIMEOUT_S)
                return proc.returncode == -signal.SIGKILL
        proc.wait(timeout=CHILD_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    return False


def log_and_feed(store: PublishStore) -> tuple[list[dict], list[dict]]:
    """The publication log (statement id → payload, by statement) and the feed items, probabilities apart."""
    log = q.publication_log(store.engine, channel=CHANNEL)
    feed = json.loads(feed_path(store.config).read_text(encoding="utf-8"))["items"]
    return sorted((r["payload"] for r in log), key=lambda p: p["statement_id"]), feed


def same(left: list[dict], right: list[dict]) -> None:
    """Equal item lists; probabilities to 1e-5 (batches of other sizes pad differently)."""
    assert [{**i, "probability": None} for i in left] == [{**i, "probability": None} for i in right]
    for a, b in zip(left, right, strict=True):
        assert a["probability"] == pytest.approx(b["probability"], abs=1e-5)


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_equals_uninterrupted(
    engine: Engine, tiny_model_folder: Path, tmp_path: Path, ipfs: FakeIpfs
) -> None:
    # the uninterrupted run, on its own SQLite store
    reference_engine = make_engine(f"sqlite:///{tmp_path / 'reference.sqlite'}")
    migrate.upgrade(reference_engine)
    reference = build_store(reference_engine, tiny_model_folder, tmp_path / "reference", n_new=N_CRASH, **PUBLISH)
    publish_once(reference.engine, reference.config, make_sinks(reference.config))
    expected_log, expected_feed = log_and_feed(reference)
    assert len(expected_log) == len(expected_feed) == N_CRASH
    reference_engine.dispose()

    store = build_store(
        engine, tiny_model_folder, tmp_path / "killed", n_new=N_CRASH, **PUBLISH, sinks=["file", "ipfs"]
    )
    store.config.publish.ipfs.api_url = ipfs.url
    config = store.config.model_dump(mode="json")
    url = engine.url.render_as_string(hide_password=False)
    rng = random.Random(20261201)
    kills = runs = 0
    while kills < KILLS and runs < MAX_RUNS:
        kills += run_publisher(url, config, rng.randint(1, 4), rng)
        runs += 1
    assert kills == KILLS
    run_publisher(url, config, None, rng)

    got_log, got_feed = log_and_feed(store)
    same(got_log, expected_log)  # every statement published exactly once, none lost
    same(got_feed, expected_feed)
    with engine.connect() as conn:
        n_pub = conn.execute(sa.select(sa.func.count()).select_from(publications)).scalar()
        n_pred = conn.execute(sa.select(sa.func.count()).select_from(predictions)).scalar()
    assert n_pub == n_pred == N_CRASH
    current = q.current_snapshot(engine, sink="ipfs")
    assert current is not None and ipfs.pins == {current["location"]}  # no pin leaked by a kill
    assert ipfs.blocks[current["location"]] == feed_path(store.config).read_bytes()
    assert not list(feed_path(store.config).parent.glob("*.tmp"))  # no half-written temp file left


class Crash(BaseException):
    """Stands for a SIGKILL at one exact step: nothing after it runs (not an Exception, so nothing catches it)."""


def test_crash_between_two_sinks_then_resume_leaves_one_document(
    engine: Engine, tiny_model_folder: Path, tmp_path: Path, ipfs: FakeIpfs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The interleaving the random kills hit now and then: the last feed write reaches the file, not IPFS. The next
    # run must not hand IPFS a document of its own (another generated_at): both sinks get one new document.
    store = build_store(engine, tiny_model_folder, tmp_path, feed_every_batches=1000, sinks=["file", "ipfs"])
    store.config.publish.ipfs.api_url = ipfs.url
    ticks = iter(range(1000))
    monkeypatch.setattr(run, "utcnow", lambda: dt.datetime(2026, 1, 1) + dt.timedelta(minutes=next(ticks)))
    seen: list[str] = []

    def kill_after_file_write(event: str) -> None:
        seen.append(event)
        if event == "feed-written file" and any(e.startswith("batch") for e in seen):  # the feed after the batches
            raise Crash

    with pytest.raises(Crash):
        publish_once(store.engine, store.config, make_sinks(store.config), on_event=kill_after_file_write)
    assert len(q.publication_log(store.engine, channel=CHANNEL)) == N_NEW  # all committed; only IPFS is behind

    report = publish_once(store.engine, store.config, make_sinks(store.config))
    file_now, ipfs_now = (q.current_snapshot(store.engine, sink=s) for s in ("file", "ipfs"))
    assert file_now is not None and ipfs_now is not None
    assert ipfs.blocks[ipfs_now["location"]] == feed_path(store.config).read_bytes()  # one document in both
    assert file_now["sha256"] == ipfs_now["sha256"]
    assert ipfs.pins == {ipfs_now["location"]}
    assert report.published == 0 and set(report.locations) == {"file", "ipfs"}  # the repair rewrote both
    again = publish_once(store.engine, store.config, make_sinks(store.config))
    assert (again.feed_items, again.locations) == (None, {})  # in step now: nothing rewritten
