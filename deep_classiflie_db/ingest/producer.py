"""Parse in a forked child process while this one writes: the two halves of an import on two cores.

Parsing, cleaning and hashing are pure Python and hold the GIL, so a writer thread alone cannot overlap
them with the database's work. :class:`ChildBatches` forks a child that runs the batch generator (parser
and :func:`~deep_classiflie_db.ingest.collect.collect`) and sends each batch back through a bounded queue;
the child never touches the store, so every write stays in this process and its transactions.

Only with the ``fork`` start method (Linux): the child inherits the generator instead of re-importing
and re-reading everything. A child whose parent dies (even by SIGKILL) notices at its next batch and exits.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue as queue_mod
import signal
from collections.abc import Iterator
from multiprocessing.context import ForkProcess
from multiprocessing.queues import Queue
from typing import Any

from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest.collect import Batch

QUEUE_BATCHES = 4
POLL_S = 1.0


def can_fork() -> bool:
    """True where the ``fork`` start method exists (Linux, the BSDs; not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _put(queue: Queue[Any], message: tuple[str, Any], parent: int) -> None:
    while True:
        if os.getppid() != parent:  # orphaned: the importer is gone, nobody will write this
            os._exit(3)
        try:
            queue.put(message, timeout=POLL_S)
            return
        except queue_mod.Full:
            continue


def _produce(batches: Iterator[Batch], queue: Queue[Any], parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
    try:
        for batch in batches:
            _put(queue, ("batch", batch), parent)
    except BaseException as exc:
        try:
            pickle.dumps(exc)
            error: BaseException = exc
        except Exception:
            error = DataSourceError(f"parsing failed: {type(exc).__name__}: {exc}")
        _put(queue, ("error", error), parent)
    else:
        _put(queue, ("done", None), parent)
    queue.close()
    queue.join_thread()


class ChildBatches:
    """Iterate the batches of ``batches`` (an unstarted generator) computed in a forked child process."""

    def __init__(self, batches: Iterator[Batch], *, label: str) -> None:
        ctx = multiprocessing.get_context("fork")
        self.label = label
        self.queue: Queue[Any] = ctx.Queue(maxsize=QUEUE_BATCHES)
        self.proc: ForkProcess = ctx.Process(
            target=_produce, args=(batches, self.queue, os.getpid()), name=f"ingest-parse-{label}", daemon=True
        )
        self.proc.start()

    def __iter__(self) -> Iterator[Batch]:
        try:
            while True:
                try:
                    kind, payload = self.queue.get(timeout=POLL_S)
                except queue_mod.Empty:
                    if not self.proc.is_alive():
                        raise DataSourceError(
                            f"the parser process of {self.label} died (exit code {self.proc.exitcode})",
                            hint="re-run with --set ingest.parse_in_subprocess=false to parse in-process "
                            "and see the error; batches already written are kept and skipped",
                        ) from None
                    continue
                if kind == "batch":
                    yield payload
                elif kind == "error":
                    raise payload
                else:
                    return
        finally:
            self.close()

    def close(self) -> None:
        """Stop the child (if still running) and release the queue."""
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.queue.close()
        self.queue.cancel_join_thread()
