"""``publish --watch``: a run every ``publish.interval_s`` until a stop is requested (SIGTERM / SIGINT).

A stop request is honoured between batches, so the batch in flight is committed and the feed written; if that
takes longer than ``publish.stop_timeout_s`` the process exits anyway, which loses nothing (see ``run.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from deep_classiflie.config import Config
from deep_classiflie.core.errors import StoreError
from deep_classiflie.model.resolve import resolve_model_version
from deep_classiflie.publish.run import LoadedModel, PublishReport, load_model, model_context, publish_once
from deep_classiflie.publish.sinks import Sink, SinkError

log = logging.getLogger(__name__)


def watch(
    engine: Engine,
    config: Config,
    sinks: Sequence[Sink],
    stop: threading.Event,
    *,
    on_run: Callable[[PublishReport], None] | None = None,
) -> int:
    """Publish every ``interval_s`` until ``stop`` is set; returns the number of completed runs.

    The model is resolved each run (an activated version is picked up; its classifier is loaded once) and its
    buckets and metrics re-read. A store or sink outage is logged and retried at the next interval; a bad
    model or config is raised.
    """
    loaded: LoadedModel | None = None
    runs = 0
    while not stop.is_set():
        try:
            row = resolve_model_version(engine, config.publish.model)
            if loaded is None or int(loaded.row["id"]) != int(row["id"]):
                loaded = load_model(engine, config, int(row["id"]))
                log.info("publishing with model %s (id %d)", row["name"], row["id"])
            else:
                loaded = replace(loaded, context=model_context(engine, config, row))
            report = publish_once(engine, config, sinks, model=loaded, stop=stop)
            runs += 1
            if on_run is not None:
                on_run(report)
        except (StoreError, SinkError, DBAPIError) as exc:
            log.warning("publish run failed; retrying in %g s: %s", config.publish.interval_s, _short(exc))
        stop.wait(config.publish.interval_s)
    return runs


def _short(exc: Exception) -> str:
    """One line of an error (driver errors carry the statement and parameters: not logged)."""
    if isinstance(exc, DBAPIError):
        return f"{type(exc.orig).__name__}: {str(exc.orig).splitlines()[0] if str(exc.orig) else ''}"
    return str(exc)
