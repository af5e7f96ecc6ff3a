"""Entry point. Each pipeline stage registers its subcommands from its own module.

``deep-classiflie [--config JOB.yaml] [--set key=value …] COMMAND …``; without a COMMAND the
config's ``job`` runs (so ``python deep_classiflie.py --config configs/demo.yaml`` runs the demo).
Library errors become one ``Error: …`` line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from deep_classiflie.cli.context import Context
from deep_classiflie.config import load_config
from deep_classiflie.core.errors import DeepClassiflieError

# Modules that define ``register(subparsers)``; each adds its commands with ``set_defaults(func=…)``.
COMMAND_MODULES = [
    "deep_classiflie.cli.db",
    "deep_classiflie.cli.ingest",
    "deep_classiflie.cli.dataset",
    "deep_classiflie.cli.train",
    "deep_classiflie.cli.evaluate",
    "deep_classiflie.cli.predict",
    "deep_classiflie.cli.serve",
    "deep_classiflie.cli.demo",
    "deep_classiflie.cli.publish",
]

# A config's ``job`` → the argv it stands for.
JOB_ARGV = {
    "demo": ["demo"],
    "ingest": ["ingest", "--all"],
    "build-dataset": ["build-dataset"],
    "train": ["train"],
    "evaluate": ["evaluate"],
    "db-upgrade": ["db", "upgrade"],
    "publish": ["publish"],
}


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every stage's subcommands."""
    parser = argparse.ArgumentParser(
        prog="deep-classiflie",
        description="Deep Classiflie: ingest statements and fact-checks, build datasets, train, evaluate, predict.",
    )
    parser.add_argument("--config", type=Path, help="job YAML layered over configs/defaults.yaml")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set train.epochs=5 (repeatable)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for ours in ("deep_classiflie", "deep_classiflie_db"):
        logging.getLogger(ours).setLevel(logging.DEBUG if args.verbose else logging.INFO)
    try:
        config = load_config(args.config, args.overrides)
        if args.command is None:
            if args.config is None:
                parser.print_help()
                return 2
            args = parser.parse_args([*args_list, *JOB_ARGV.get(config.job, [config.job])])
        return int(args.func(Context(config=config), args) or 0)
    except DeepClassiflieError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Error: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """Console-script wrapper."""
    sys.exit(main())
