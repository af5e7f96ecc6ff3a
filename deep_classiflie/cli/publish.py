"""``publish``: score statements the active model has not published yet and write the current-predictions feed.

- ``publish`` runs once: every pending batch, then the feed (``<data_dir>/feed/current_predictions.json`` and
  any other sink in ``publish.sinks``); prints one summary line (``--json``: the report as JSON).
- ``publish --watch`` runs every ``publish.interval_s`` until SIGTERM / SIGINT, which it honours between batches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import threading

from sqlalchemy.exc import DBAPIError

from deep_classiflie.cli.context import Context
from deep_classiflie.core.errors import StoreError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``publish`` command."""
    p = sub.add_parser("publish", help="publish new statements' predictions to the current-predictions feed")
    p.add_argument("--watch", action="store_true", help="keep publishing every publish.interval_s until stopped")
    p.add_argument("--model", help="model version name or id (default: publish.model, else the active model)")
    p.add_argument("--since", type=_date, help="publish statements said after DATE (default: after the test window)")
    p.add_argument("--max-batches", type=_positive, help="stop a run after this many batches (default: none)")
    p.add_argument("--json", action="store_true", help="print each run's report as a JSON line")
    p.set_defaults(func=publish)


def _date(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from exc


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def publish(ctx: Context, args: argparse.Namespace) -> int:
    """One run, or the watch loop; SIGTERM / SIGINT stop either between batches."""
    from deep_classiflie.publish.run import PublishReport, make_sinks, publish_once
    from deep_classiflie.publish.stop import install_stop_handlers
    from deep_classiflie.publish.watch import watch

    cfg = ctx.config.publish
    for key, value in (("model", args.model), ("since", args.since), ("max_batches", args.max_batches)):
        if value is not None:
            setattr(cfg, key, value)  # validated on assignment (Strict)
    sinks = make_sinks(ctx.config)

    def show(report: PublishReport) -> None:
        if args.json:
            print(json.dumps(report.as_dict()), flush=True)
            return
        feed = "feed already current" if report.feed_items is None else f"feed: {report.feed_items} items"
        where = ", ".join(f"{k} {v}" for k, v in report.locations.items())
        print(
            f"published {report.published} statements with {report.model_name}; {feed}{' → ' + where if where else ''}",
            flush=True,
        )

    stop = threading.Event()
    undo = install_stop_handlers(stop, cfg.stop_timeout_s)
    try:
        if args.watch:
            watch(ctx.engine, ctx.config, sinks, stop, on_run=show)
        else:
            show(publish_once(ctx.engine, ctx.config, sinks, stop=stop))
    except DBAPIError as exc:
        # The driver's text only (its statement and parameters may carry statement texts, never URLs).
        first = str(exc.orig).splitlines()[0] if str(exc.orig) else ""
        raise StoreError(
            f"the store failed while publishing: {type(exc.orig).__name__}: {first}",
            hint="nothing is lost: committed batches stay published; re-run when the database is back",
        ) from None
    finally:
        undo()
    return 0
