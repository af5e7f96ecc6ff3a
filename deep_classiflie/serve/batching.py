"""Dynamic micro-batching: statements of concurrent requests are scored together in one forward pass.

1) A request puts its statements on one bounded queue (all requests together); when they do not fit, it is refused
   at once (``QueueFull`` → 503 + Retry-After) instead of waiting behind an ever longer line.
2) The worker takes the oldest statement, then waits for more until ``max_batch_size``, at most ``max_wait_ms``
   and at most half the last batch's time (waiting is worth it only next to the cost of a forward pass), and not
   at all when the request is the only one in flight (nothing else could join: a lone request never waits);
   while a batch runs, new requests pile up, so under load the next batch is full without waiting.
3) A batch holds statements of one model version only (the one each request took when it arrived, so requests in
   flight during a hot-swap finish on the old model), sorted by length so the tokenizer pads to the longest in it.
4) Inference runs in one dedicated thread (the backend uses every core for one batch); results go back to each
   request's futures. A request that gave up (timeout) leaves cancelled futures, which the worker skips.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from deep_classiflie.serve.served import Served

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """The batching queue has no room for a request's statements."""


@dataclass
class _Item:
    text: str
    type_id: int
    meta: dict[str, Any]
    served: Served
    future: asyncio.Future[float]


class MicroBatcher:
    """Gathers statements into batches and runs them on their model's backend in one inference thread."""

    def __init__(
        self,
        *,
        max_batch_size: int,
        max_wait_ms: float,
        max_queue: int,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.max_queue = max_queue
        self.on_batch = on_batch  # (batch size, seconds) → metrics
        self._queue: deque[_Item] = deque()
        self._event: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._requests = 0  # requests submitted and not yet answered
        self._last_batch_s = self.max_wait_s * 2  # until a batch has been timed

    @property
    def depth(self) -> int:
        """Statements waiting for a batch."""
        return len(self._queue)

    def start(self) -> None:
        """Start the worker on the running event loop (idempotent)."""
        if self._task is None or self._task.done():
            self._event = asyncio.Event()
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dc-infer")
            self._task = asyncio.get_running_loop().create_task(self._run(), name="dc-batcher")

    async def stop(self) -> None:
        """Stop the worker; statements still queued get a cancelled future."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while self._queue:
            self._queue.popleft().future.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def submit(
        self, served: Served, texts: list[str], type_ids: list[int], meta: list[dict[str, Any]]
    ) -> np.ndarray:
        """P(falsehood) of each text, in order. Raises ``QueueFull`` when the queue cannot take them all."""
        self.start()
        if len(self._queue) + len(texts) > self.max_queue:
            raise QueueFull(f"{len(self._queue)} statements are waiting (serve.batching.max_queue={self.max_queue})")
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in texts]
        for text, tid, m, fut in zip(texts, type_ids, meta, futures, strict=True):
            self._queue.append(_Item(text, int(tid), m, served, fut))
        assert self._event is not None
        self._event.set()
        self._requests += 1
        try:
            values = await asyncio.gather(*futures)
        except BaseException:
            for fut in futures:  # timeout or client gone: the worker skips what it has not started
                fut.cancel()
            raise
        finally:
            self._requests -= 1
        return np.asarray(values, dtype=np.float32)

    def _take_batch(self) -> list[_Item]:
        """The oldest live statement and the next live ones of the same model, up to ``max_batch_size``."""
        while self._queue and self._queue[0].future.done():
            self._queue.popleft()
        if not self._queue:
            return []
        served = self._queue[0].served
        batch: list[_Item] = []
        kept: deque[_Item] = deque()
        while self._queue and len(batch) < self.max_batch_size:
            item = self._queue.popleft()
            if item.future.done():
                continue
            (batch if item.served is served else kept).append(item)
        self._queue.extendleft(reversed(kept))  # other model's statements keep their place at the front
        return batch

    async def _wait_for_more(self, loop: asyncio.AbstractEventLoop) -> None:
        """Step 2: until the batch is full or ``max_wait_s`` has passed since the first statement was taken."""
        assert self._event is not None
        deadline = loop.time() + min(self.max_wait_s, 0.5 * self._last_batch_s)
        while len(self._queue) < self.max_batch_size:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._event.clear()
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                return

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._event is not None
        while True:
            if not self._queue:
                self._event.clear()
                await self._event.wait()
                continue
            if len(self._queue) < self.max_batch_size and self.max_wait_s > 0 and self._requests > 1:
                await self._wait_for_more(loop)
            batch = self._take_batch()
            if not batch:
                continue
            batch.sort(key=lambda it: len(it.text))  # step 3: pad only to the longest in the batch
            started = loop.time()
            try:
                probs = await loop.run_in_executor(self._executor, _infer, batch)
            except Exception as exc:  # the requests get the error; the worker carries on
                log.exception("inference failed on a batch of %d", len(batch))
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
                continue
            self._last_batch_s = loop.time() - started
            if self.on_batch is not None:
                self.on_batch(len(batch), self._last_batch_s)
            for item, p in zip(batch, probs, strict=True):
                if not item.future.done():
                    item.future.set_result(float(p))


def _infer(batch: list[_Item]) -> Any:
    served = batch[0].served
    texts = [it.text for it in batch]
    return served.backend.predict(
        texts, np.array([it.type_id for it in batch], dtype=np.int64), [it.meta for it in batch]
    )
