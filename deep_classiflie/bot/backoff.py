"""Bounded exponential backoff with jitter around every network call, and a wait that SIGTERM cuts short.

The delay of try ``k`` is ``initial * 2**(k-1) + uniform(0, jitter)``, capped at ``max_s`` (the original's grew
without bound); a delay the server asked for (``Retry-After``, ``x-rate-limit-reset``) wins, capped at
``retry_after_max_s``. After ``max_attempts`` the last transient error is raised for the caller to keep the
post pending: the bot never dies of a transient error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import tenacity

from deep_classiflie.bot.errors import Stopping, TransientPublishError
from deep_classiflie.config.bot import RetryConfig

log = logging.getLogger(__name__)
T = TypeVar("T")


class Waiter:
    """``wait(seconds)`` sleeps unless a stop was asked for, in which case it raises :class:`Stopping`."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.slept: list[float] = []  # every wait asked for, for logs and tests

    def stop(self) -> None:
        """Ask every current and later wait to end (from a signal handler)."""
        self.stop_event.set()

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``; raise Stopping as soon as a stop is asked for."""
        self.slept.append(seconds)
        if self.stop_event.wait(max(0.0, seconds)):
            raise Stopping()


def delay_for(attempt: int, cfg: RetryConfig, asked: float | None, *, jitter: float) -> float:
    """The wait before try ``attempt + 1``: the server's ask (capped), else capped exponential backoff."""
    if asked is not None:
        return min(max(0.0, asked), cfg.retry_after_max_s)
    return min(cfg.initial_s * 2 ** (attempt - 1) + jitter, cfg.max_s)


def with_retries(fn: Callable[[], T], *, cfg: RetryConfig, waiter: Waiter, what: str) -> T:
    """``fn()``, retried on TransientPublishError with bounded backoff; the last such error is re-raised."""
    jitter = tenacity.wait_random(0, cfg.jitter_s)

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, TransientPublishError) else None
        return delay_for(state.attempt_number, cfg, asked, jitter=jitter(state))

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s: try %d failed (%s); next try in %.2f s", what, state.attempt_number, exc, delay)

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientPublishError),
        stop=tenacity.stop_after_attempt(cfg.max_attempts),
        wait=wait,
        sleep=waiter.wait,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(fn)
