"""``bot run``: cycles until stopped. SIGTERM (or SIGINT) ends the current step and exits cleanly.

Between cycles the daemon waits until the next source is due, at most ``poll_s`` (pending posts are retried
then). A transient store error (locked or lost connection) is logged and retried with bounded backoff;
refused network credentials (401/403) end the run with an ``Error:`` line.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from sqlalchemy.exc import InterfaceError, OperationalError

from deep_classiflie.bot.backoff import delay_for
from deep_classiflie.bot.cycle import Bot
from deep_classiflie.bot.errors import Stopping

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    """What a run did, summed over its cycles."""

    cycles: int = 0
    analysed: int = 0
    queued: int = 0
    posted: int = 0
    failed: int = 0
    stopped_by_signal: bool = False


def install_signal_handlers(bot: Bot) -> Callable[[], None]:
    """SIGTERM / SIGINT ask the bot to stop; returns a function that restores the previous handlers."""

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("received %s; stopping after the current step", signal.Signals(signum).name)
        bot.waiter.stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def run(bot: Bot, *, max_cycles: int | None = None, max_seconds: float | None = None) -> RunReport:
    """Cycle until stopped (signal), ``max_cycles`` cycles or ``max_seconds`` seconds."""
    report = RunReport()
    started = time.monotonic()
    store_failures = 0
    try:
        while not bot.waiter.stopping:
            try:
                cycle = bot.cycle()
                store_failures = 0
            except (OperationalError, InterfaceError) as exc:  # the store is busy or was restarted: try again
                store_failures += 1
                wait = delay_for(store_failures, bot.cfg.retry, None, jitter=0.0)
                log.warning("store error (%s); next cycle in %.1f s", type(exc.orig).__name__, wait)
                bot.waiter.wait(wait)
                continue
            report.cycles += 1
            report.analysed += cycle.analysed
            report.queued += cycle.queued
            report.posted += cycle.delivery.posted
            report.failed += cycle.delivery.failed
            log.info(cycle.line(report.cycles))
            if max_cycles is not None and report.cycles >= max_cycles:
                break
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                break
            bot.waiter.wait(min(bot.seconds_to_next_source(), bot.cfg.poll_s))
    except Stopping:
        pass
    report.stopped_by_signal = bot.waiter.stopping
    return report
