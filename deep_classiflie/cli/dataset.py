"""``build-dataset`` and ``dataset report [ID]``: build a collection, print its balance and leakage report."""

from __future__ import annotations

import argparse

from deep_classiflie.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``build-dataset`` and the ``dataset`` group."""
    build = sub.add_parser("build-dataset", help="build (or reuse) the dataset collection of the config's task")
    build.add_argument("--no-cache", action="store_true", help="rebuild even when nothing changed")
    build.add_argument("--months", action="store_true", help="print the split × type × month table too")
    build.set_defaults(func=build_dataset)
    ds = sub.add_parser("dataset", help="inspect dataset collections")
    ds_sub = ds.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)
    rep = ds_sub.add_parser("report", help="print a collection's balance and leakage report (default: the newest)")
    rep.add_argument("id", nargs="?", type=int, help="collection id")
    rep.add_argument("--no-months", action="store_true", help="leave out the split × type × month table")
    rep.set_defaults(func=report)


def build_dataset(ctx: Context, args: argparse.Namespace) -> int:
    from deep_classiflie.dataset import build_collection
    from deep_classiflie.dataset.report import format_report

    config = ctx.config
    if args.no_cache:
        config = config.model_copy(deep=True)
        config.dataset.reuse_cache = False
    info = build_collection(ctx.engine, config)
    print(format_report({**info.__dict__}, months=args.months))
    print(f"{'reused' if info.reused else 'built'} collection {info.id}: snapshot {info.snapshot_dir}")
    return 0


def report(ctx: Context, args: argparse.Namespace) -> int:
    from deep_classiflie.dataset import find_collection
    from deep_classiflie.dataset.report import format_report

    info = find_collection(ctx.engine, ctx.config.dataset.name, args.id, data_dir=ctx.config.paths.data_dir)
    print(format_report({**info.__dict__}, months=not args.no_months))
    return 0
