"""``bot run`` (the daemon), ``bot once`` (one cycle) and ``bot status``: post confident falsehood flags."""

from __future__ import annotations

import argparse

from deep_classiflie.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``bot`` command and its actions."""
    p = sub.add_parser(
        "bot",
        help="ingest on a schedule, analyse new statements, post high-confidence falsehood flags with their cards",
        description=(
            "run: cycle until SIGTERM (ingest due sources, analyse, post); once: one cycle; "
            "status: decisions and the outbox. bot.publisher picks dry_run (default), twitter or mastodon."
        ),
    )
    p.add_argument("action", choices=["run", "once", "status"])
    p.add_argument("--max-cycles", type=int, help="run: stop after this many cycles")
    p.add_argument("--max-seconds", type=float, help="run: stop after this many seconds")
    p.set_defaults(func=bot)


def bot(ctx: Context, args: argparse.Namespace) -> int:
    """Dispatch to run, once or status."""
    if args.action == "status":
        return status(ctx)
    from deep_classiflie.bot.backoff import Waiter
    from deep_classiflie.bot.cycle import Bot
    from deep_classiflie.bot.daemon import install_signal_handlers, run
    from deep_classiflie.bot.publishers import make_publisher

    cfg = ctx.config.bot
    out_dir = cfg.out_dir or ctx.config.paths.data_dir / "bot"
    publisher = make_publisher(cfg, ctx.settings, out_dir)
    the_bot = Bot(ctx.engine, ctx.config, publisher, waiter=Waiter())
    restore = install_signal_handlers(the_bot)
    try:
        once = args.action == "once"
        report = run(the_bot, max_cycles=1 if once else args.max_cycles, max_seconds=None if once else args.max_seconds)
    finally:
        restore()
    print(
        f"bot ({publisher.network}): {report.cycles} cycles, analysed {report.analysed}, queued {report.queued}, "
        f"posted {report.posted}, failed {report.failed}{' (stopped by signal)' if report.stopped_by_signal else ''}"
    )
    return 0


def status(ctx: Context) -> int:
    """Print the decisions per rule and the outbox per network and status."""
    from collections import Counter

    from deep_classiflie_db.queries.bot import decision_counts, outbox_rows

    counts = decision_counts(ctx.engine)
    if not counts:
        print("the bot has analysed nothing yet: run `deep-classiflie bot once`")
        return 0
    print("decisions: " + ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items())))
    outbox = Counter((r["network"], r["status"]) for r in outbox_rows(ctx.engine))
    print("outbox: " + (", ".join(f"{net} {st} {n}" for (net, st), n in sorted(outbox.items())) or "empty"))
    return 0
