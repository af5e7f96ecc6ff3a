"""Which thread of the serving process runs PyTorch, and why: one OpenMP team at a time.

PyTorch's CPU kernels (and the C++ that TorchInductor generates) run on GNU OpenMP. Every thread that starts a
parallel region gets its own team of worker threads, kept until that thread exits. Once the process holds more
OpenMP threads than it has cores, libgomp stops spinning between parallel regions (its "throttled" spin count), so
each of the hundred-odd parallel regions of a forward pass pays a sleep and a futex wake-up. Measured on MiniLM
(bf16, compiled encoder, 2 cores, one 64-token statement): 9.2 ms when the batcher's inference thread is the only
thread that ever ran PyTorch, 13–15 ms once the main thread had loaded and warmed the model (a second team).

So the service loads models in short-lived threads (a thread's team is freed when it exits: start-up here, an
activation in ``ModelHolder.activate_in_background``) and runs inference in the batcher's one thread; the main
thread never starts a parallel region.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_in_fresh_thread(fn: Callable[[], T], *, name: str) -> T:
    """``fn()`` in a new thread that exits when it returns (its OpenMP team with it); re-raises its exception."""
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # handed to the caller, re-raised there
            error.append(exc)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]
