"""The daemon loop: bounded runs, store hiccups retried with backoff, a stop request ends it."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from deep_classiflie.bot.cycle import CycleReport
from deep_classiflie.bot.daemon import run
from deep_classiflie.config.bot import BotConfig
from tests.bot.test_twitter import NoSleep


class FakeBot:
    """Cycles that fail with the given errors first, then succeed."""

    def __init__(self, errors: list[Exception], stop_after: int | None = None) -> None:
        self.errors = errors
        self.waiter = NoSleep()
        self.cfg = BotConfig(poll_s=5)
        self.calls = 0
        self.stop_after = stop_after

    def cycle(self) -> CycleReport:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        if self.stop_after is not None and self.calls >= self.stop_after:
            self.waiter.stop()
        return CycleReport(analysed=1)

    def seconds_to_next_source(self) -> float:
        return 2.0


def locked() -> OperationalError:
    return OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))


def test_store_errors_are_retried_with_growing_capped_waits() -> None:
    bot = FakeBot([locked(), locked(), locked()])
    report = run(bot, max_cycles=2)  # type: ignore[arg-type]
    assert (report.cycles, report.analysed, bot.calls) == (2, 2, 5)
    # three backoff waits (2 s, 4 s, 8 s for the default initial_s=2), then the wait between the two cycles
    assert bot.waiter.slept == [2.0, 4.0, 8.0, 2.0]


def test_a_stop_request_ends_the_run_after_the_current_cycle() -> None:
    bot = FakeBot([], stop_after=3)
    report = run(bot)  # type: ignore[arg-type]
    assert report.cycles == 3 and report.stopped_by_signal


def test_other_errors_are_not_swallowed() -> None:
    bot = FakeBot([RuntimeError("bug")])
    with pytest.raises(RuntimeError):
        run(bot, max_cycles=1)  # type: ignore[arg-type]
