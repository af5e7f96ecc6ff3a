"""The micro-batcher with fake backends: batch sizes, length order, the bounded queue, model separation, timeouts."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, cast

import numpy as np
import pytest

from deep_classiflie.serve.batching import MicroBatcher, QueueFull
from deep_classiflie.serve.served import Served


class FakeBackend:
    """Scores a text by its length; records each batch; can be held to let a queue build up."""

    def __init__(self, name: str, gate: threading.Event | None = None) -> None:
        self.name = name
        self.batches: list[list[str]] = []
        self.gate = gate

    def predict(self, texts: list[str], type_ids: np.ndarray, meta: list[dict[str, Any]]) -> np.ndarray:
        if self.gate is not None:
            self.gate.wait(5)
        self.batches.append(list(texts))
        return np.array([len(t) / 100 for t in texts], dtype=np.float32)


def served(backend: FakeBackend) -> Served:
    return cast(Served, type("S", (), {"backend": backend})())


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def meta(n: int) -> list[dict[str, Any]]:
    return [{"statement_type": "tweet"}] * n


def test_concurrent_requests_share_length_sorted_batches() -> None:
    backend = FakeBackend("a")
    s = served(backend)

    async def main() -> list[np.ndarray]:
        batcher = MicroBatcher(max_batch_size=4, max_wait_ms=50, max_queue=100)
        texts = ["x" * n for n in (9, 3, 7, 1, 5, 2)]
        results = await asyncio.gather(*(batcher.submit(s, [t], [0], meta(1)) for t in texts))
        await batcher.stop()
        return results

    results = run(main())
    assert [float(r[0]) for r in results] == pytest.approx([0.09, 0.03, 0.07, 0.01, 0.05, 0.02])
    assert [len(b) for b in backend.batches] == [4, 2]  # gathered, never above max_batch_size
    for batch in backend.batches:
        assert [len(t) for t in batch] == sorted(len(t) for t in batch)  # padded only to the longest


def test_a_full_queue_refuses_at_once() -> None:
    gate = threading.Event()
    s = served(FakeBackend("a", gate))

    async def main() -> None:
        batcher = MicroBatcher(max_batch_size=2, max_wait_ms=0, max_queue=4)
        first = asyncio.ensure_future(batcher.submit(s, ["a", "b"], [0, 0], meta(2)))
        await asyncio.sleep(0.05)  # the worker holds the first batch at the gate
        waiting = asyncio.ensure_future(batcher.submit(s, ["c", "d", "e"], [0, 0, 0], meta(3)))
        await asyncio.sleep(0)
        with pytest.raises(QueueFull, match="max_queue=4"):
            await batcher.submit(s, ["f", "g"], [0, 0], meta(2))
        gate.set()
        await asyncio.gather(first, waiting)
        await batcher.stop()

    run(main())


def test_statements_of_two_models_never_share_a_batch() -> None:
    a, b = FakeBackend("a"), FakeBackend("b")
    sa, sb = served(a), served(b)

    async def main() -> None:
        batcher = MicroBatcher(max_batch_size=8, max_wait_ms=30, max_queue=100)
        await asyncio.gather(
            batcher.submit(sa, ["1", "22"], [0, 0], meta(2)),
            batcher.submit(sb, ["333"], [0], meta(1)),  # arrived after a swap: runs on b
            batcher.submit(sa, ["4444"], [0], meta(1)),  # in flight on a: finishes on a
        )
        await batcher.stop()

    run(main())
    assert sorted(t for batch in a.batches for t in batch) == ["1", "22", "4444"]
    assert b.batches == [["333"]]


def test_a_timed_out_request_is_skipped_by_the_worker() -> None:
    gate = threading.Event()
    backend = FakeBackend("a", gate)
    s = served(backend)

    async def main() -> None:
        batcher = MicroBatcher(max_batch_size=1, max_wait_ms=0, max_queue=10)
        first = asyncio.ensure_future(batcher.submit(s, ["held"], [0], meta(1)))
        await asyncio.sleep(0.05)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(batcher.submit(s, ["gave up"], [0], meta(1)), timeout=0.05)
        gate.set()
        await first
        assert float((await batcher.submit(s, ["after"], [0], meta(1)))[0]) == pytest.approx(0.05)
        await batcher.stop()

    run(main())
    assert ["gave up"] not in backend.batches
