"""``db upgrade`` / ``db current``: create or migrate the store."""

from __future__ import annotations

import argparse

from deep_classiflie.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``db`` command group."""
    db = sub.add_parser("db", help="create, migrate or inspect the store")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = db_sub.add_parser("upgrade", help="create the store or migrate it to the newest schema (safe to re-run)")
    up.set_defaults(func=upgrade)
    cur = db_sub.add_parser("current", help="print the store's URL and migration revision")
    cur.set_defaults(func=current)


def upgrade(ctx: Context, _args: argparse.Namespace) -> int:
    from deep_classiflie_db import migrate
    from deep_classiflie_db.engine import describe

    rev = migrate.upgrade(ctx.raw_engine)
    print(f"store {describe(ctx.raw_engine)} is at revision {rev}")
    return 0


def current(ctx: Context, _args: argparse.Namespace) -> int:
    from deep_classiflie_db import migrate
    from deep_classiflie_db.engine import describe

    engine = ctx.existing_engine  # read-only: a missing store is an error, never created here
    have, want = migrate.current_revision(engine), migrate.head_revision(engine)
    print(f"store {describe(engine)}: revision {have or 'none'} (code expects {want})")
    return 0 if have == want else 1
