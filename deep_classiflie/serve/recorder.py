"""Optional record of API predictions: buffered in memory, written in batches by a thread, off the request path.

A store outage never fails a prediction: rows wait in a bounded buffer (oldest dropped beyond
``serve.recording.max_pending``, counted in ``dc_record_dropped``) and the next flush retries.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


class PredictionRecorder:
    """``add`` is cheap (append to a deque); a daemon thread flushes every ``interval_s``."""

    def __init__(
        self,
        engine: Engine,
        *,
        interval_s: float,
        max_pending: int,
        on_written: Callable[[int], None] | None = None,
        on_dropped: Callable[[int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self.max_pending = max_pending
        self.on_written = on_written
        self.on_dropped = on_dropped
        self._rows: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Queue rows for the next flush (drops the oldest past ``max_pending``)."""
        with self._lock:
            self._rows.extend(rows)
            dropped = 0
            while len(self._rows) > self.max_pending:
                self._rows.popleft()
                dropped += 1
        if dropped and self.on_dropped is not None:
            self.on_dropped(dropped)

    @property
    def pending(self) -> int:
        return len(self._rows)

    def flush(self) -> int:
        """Write what is buffered in one transaction; on failure keep it for the next try. Returns rows written."""
        from deep_classiflie_db.queries.serve import record_api_predictions

        with self._lock:
            batch = list(self._rows)
            self._rows.clear()
        if not batch:
            return 0
        try:
            written = record_api_predictions(self.engine, rows=batch)
        except Exception as exc:  # store away: keep the rows, say so once per failure streak
            if self.failures == 0:
                log.warning("recording API predictions failed (%s); will retry", type(exc).__name__)
            self.failures += 1
            self.add(batch)  # re-queued behind newer rows; bounded by max_pending
            return 0
        self.failures = 0
        if self.on_written is not None:
            self.on_written(written)
        return written

    def start(self) -> None:
        """Start the flushing thread (idempotent)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="dc-recorder", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.flush()

    def stop(self) -> None:
        """Stop the thread and make one last flush."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()
