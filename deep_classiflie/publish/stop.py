"""Stop requests: SIGTERM / SIGINT set an event the publisher checks between batches, with a deadline.

Standard library only, so a process can install the handlers before it imports the heavy stages.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)

# Exit status when a stop request was not honoured in time.
FORCED_EXIT = 3


def install_stop_handlers(stop: threading.Event, timeout_s: float) -> Callable[[], None]:
    """SIGTERM and SIGINT set ``stop``; past ``timeout_s`` after the first, the process exits. Returns an undo."""

    def force_exit() -> None:
        print(
            f"Error: the publisher did not stop within {timeout_s:g} s; exiting "
            "(nothing is lost: the next run resumes where this one was)",
            file=sys.stderr,
            flush=True,
        )
        os._exit(FORCED_EXIT)

    timer = threading.Timer(timeout_s, force_exit)
    timer.daemon = True

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            return
        log.info("%s: stopping after the current step (at most %g s)", signal.Signals(signum).name, timeout_s)
        stop.set()
        timer.start()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

    def undo() -> None:
        timer.cancel()
        for sig, old in previous.items():
            signal.signal(sig, old)

    return undo
