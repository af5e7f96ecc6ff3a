"""Parsing in a forked child: same batches as inline, errors and deaths reported, orphans exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest.collect import Batch, collect
from deep_classiflie_db.ingest.producer import ChildBatches, can_fork
from deep_classiflie_db.ingest.records import Reject, StatementRecord

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs the fork start method")
ROOT = Path(__file__).resolve().parents[2]


def many(n: int) -> Iterator[StatementRecord | Reject]:
    for i in range(n):
        if i % 97 == 0:
            yield Reject(f"f:{i}", "bad row", str(i))
        else:
            yield StatementRecord(f"id{i}", f"statement number {i} is here", None, "tweet", meta={"i": i})


def test_child_batches_equal_inline_batches() -> None:
    cfg = IngestConfig(batch_size=100)
    inline = list(collect(many(1000), config=cfg, where="f"))
    child = list(ChildBatches(collect(many(1000), config=cfg, where="f"), label="unit"))
    assert [vars(b) for b in child] == [vars(b) for b in inline]
    assert sum(b.read for b in child) == 1000 and len(child) == 10


def test_child_death_is_an_error_that_says_how_to_debug() -> None:
    def dies() -> Iterator[Batch]:
        yield Batch(read=1)
        os._exit(7)

    with pytest.raises(DataSourceError, match=r"exit code 7") as caught:
        list(ChildBatches(dies(), label="unit"))
    assert "parse_in_subprocess=false" in (caught.value.hint or "")


def test_closing_early_stops_the_child() -> None:
    def endless() -> Iterator[Batch]:
        while True:
            yield Batch(read=1)

    child = ChildBatches(endless(), label="unit")
    batches = iter(child)
    assert next(batches).read == 1 and child.proc.is_alive()
    child.close()
    assert not child.proc.is_alive()


ORPHAN = """
import sys, time
from deep_classiflie_db.ingest.collect import Batch
from deep_classiflie_db.ingest.producer import ChildBatches
def endless():
    while True:
        yield Batch(read=1)
child = ChildBatches(endless(), label="orphan")
batches = iter(child)
next(batches)
print(child.proc.pid, flush=True)
time.sleep(60)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # exited; a zombie only waits for its new parent to reap it


def test_child_of_a_sigkilled_importer_exits() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, text=True, env=env)
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    assert not _gone(pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(pid), f"parser child {pid} outlived its SIGKILLed importer"
