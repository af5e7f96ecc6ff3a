"""``ingest``: import a named source (``--source``), every configured one (``--all``), or show ``ingest status``."""

from __future__ import annotations

import argparse
from pathlib import Path

from deep_classiflie.cli.context import Context
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.core.progress import progress


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``ingest`` command (and its ``status`` action)."""
    p = sub.add_parser(
        "ingest",
        help="import statements and fact-check labels into the store (safe to re-run)",
        description="Import a named source, or every source in ingest.sources; `ingest status` shows what is stored.",
    )
    p.add_argument("action", nargs="?", choices=["status"], help="status: per source rows, labels, last run, rejects")
    p.add_argument("--source", help="the source to import (e.g. toronto_star, cnn, tweets, liar)")
    p.add_argument("--path", type=Path, help="input file or folder (default: under paths.shared_data)")
    p.add_argument("--all", action="store_true", help="import every source listed in ingest.sources")
    p.set_defaults(func=ingest)


def ingest(ctx: Context, args: argparse.Namespace) -> int:
    """Dispatch to status or import."""
    if args.action == "status":
        return status(ctx)
    if bool(args.source) == bool(args.all):
        raise ConfigError("ingest needs exactly one of --source NAME or --all", hint="e.g. `ingest --source tweets`")
    if args.all and args.path:
        raise ConfigError("--path applies to one --source, not to --all", hint="set ingest.paths.<name> instead")
    names = [args.source] if args.source else list(ctx.config.ingest.sources)
    for name in names:
        import_one(ctx, name, args.path)
    return 0


def import_one(ctx: Context, name: str, path: Path | None) -> None:
    """Import one source with a progress bar and print its counts."""
    from deep_classiflie_db.ingest.registry import import_source

    with progress(total=None, description=f"ingest {name}") as bar:
        seen = [0]

        def on_batch(report: object) -> None:
            read = int(getattr(report, "read", 0))
            bar.advance(read - seen[0])
            seen[0] = read
            bar.update(description=f"ingest {name}: {getattr(report, 'inserted', 0)} new")

        report = import_source(ctx.engine, name, path=path, config=ctx.config, on_batch=on_batch)
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(report.skipped_by_reason.items()))
    print(
        f"{name}: read {report.read}, inserted {report.inserted}, duplicate {report.duplicate}, "
        f"rejected {report.rejected}, skipped {report.skipped}{f' ({skipped})' if skipped else ''}, "
        f"labels {report.labels_inserted}, watermark {report.watermark or '-'} "
        f"[run {report.run_id}, {report.seconds:.1f} s]"
    )


def status(ctx: Context) -> int:
    """Print one line per source: statements, labels, newest stored statement date, and its last run."""
    from deep_classiflie_db.queries.ingest import source_status

    rows = source_status(ctx.engine)
    if not rows:
        print("nothing ingested yet: run `deep-classiflie ingest --all`")
        return 0
    header = (
        f"{'source':18} {'kind':16} {'statements':>10} {'labels':>7} {'newest stored':19}  "
        f"{'last run':19} {'status':11} {'rejects':>7}  last run's watermark"
    )
    print(header)
    for r in rows:
        last = r["last_run"].strftime("%Y-%m-%d %H:%M:%S") if r["last_run"] else "-"
        newest = _stamp(r["newest"])
        rejects = "-" if r["rejects"] is None else r["rejects"]
        print(
            f"{r['name']:18} {r['kind']:16} {r['statements']:>10} {r['labels']:>7} {newest:19}  "
            f"{last:19} {r['last_status'] or '-':11} {rejects:>7}  {r['watermark'] or '-'}"
        )
    return 0


def _stamp(value: object) -> str:
    """A stored datetime as ``YYYY-MM-DD HH:MM:SS`` (SQLite may hand back text), ``-`` when none."""
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else str(value)[:19]
