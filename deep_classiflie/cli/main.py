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
import traceback
from collections.abc import Sequence
from pathlib import Path

from deep_classiflie import __version__
from deep_classiflie.cli.context import Context
from deep_classiflie.cli.failures import Parser, check_utf8, describe_failure
from deep_classiflie.config import load_config
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.core.secrets import redact, secrets_from, settings_secrets

# Modules that define ``register(subparsers)``; each adds its commands with ``set_defaults(func=…)``.
COMMAND_MODULES = [
    "deep_classiflie.cli.db",
    "deep_classiflie.cli.ingest",
    "deep_classiflie.cli.dataset",
    "deep_classiflie.cli.train",
    "deep_classiflie.cli.evaluate",
    "deep_classiflie.cli.predict",
    "deep_classiflie.cli.explain",
    "deep_classiflie.cli.serve",
    "deep_classiflie.cli.demo",
    "deep_classiflie.cli.publish",
    "deep_classiflie.cli.tune",
    "deep_classiflie.cli.bot",
    "deep_classiflie.cli.viz",
]

# A config's ``job`` → the argv it stands for.
JOB_ARGV = {
    "demo": ["demo"],
    "ingest": ["ingest", "--all"],
    "build-dataset": ["build-dataset"],
    "train": ["train"],
    "evaluate": ["evaluate"],
    "db-upgrade": ["db", "upgrade"],
    "explain": ["explain", "--from-db", "--split", "test", "--limit", "20"],
    "publish": ["publish"],
    "tune": ["tune"],
    "bot": ["bot", "run"],
    "dashboards": ["dashboards", "--out", "runs/dashboards"],
    "site-build": ["site", "build"],
}


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every stage's subcommands."""
    parser = Parser(
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error (secrets blanked)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def runnable_job(job: str) -> list[str]:
    """The argv a config's ``job`` stands for; JOB_ARGV is the one list of runnable jobs."""
    if job not in JOB_ARGV:
        raise ConfigError(f"job {job!r} cannot run as a job", hint="set job to one of: " + ", ".join(sorted(JOB_ARGV)))
    return JOB_ARGV[job]


def _known_secrets() -> list[str]:
    """Secrets this process holds (DB URL password, tokens), to blank out of everything printed."""
    try:
        from deep_classiflie.core.settings import Settings

        return settings_secrets(Settings())
    except Exception:  # settings that fail to load are reported by the command; still blank the DC_* values
        return secrets_from([])


class _RedactLogs(logging.Filter):
    """Blank secrets out of every log record that reaches the root handlers."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = redact(record.getMessage(), self.secrets)
        record.msg, record.args = text, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
            record.exc_info = None
        return True


def _configure_logging(verbose: bool, secrets: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, _RedactLogs)]:
            handler.removeFilter(old)
        handler.addFilter(_RedactLogs(secrets))
    for ours in ("deep_classiflie", "deep_classiflie_db"):
        logging.getLogger(ours).setLevel(logging.DEBUG if verbose else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code.

    This is the one place where failures become output: every exception a command lets out is
    printed as one ``Error: what — how to fix`` line (secrets blanked) with a non-zero exit code;
    ``--debug`` adds the traceback.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list  # known before parsing, so a usage error's traceback can be shown too
    secrets = _known_secrets()
    try:
        check_utf8(args_list)
        parser = build_parser()
        args = parser.parse_args(args_list)
        _configure_logging(args.verbose, secrets)
        config = load_config(args.config, args.overrides)
        job_argv = runnable_job(config.job)
        if args.command is None:
            if args.config is None:
                parser.print_help()
                return 2
            args = parser.parse_args([*args_list, *job_argv])
        code = args.func(Context(config=config), args)
        return int(code or 0)
    except KeyboardInterrupt:
        print("Error: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:
        if exc.code in (None, 0):  # --help; usage errors never get here (Parser raises UsageError)
            raise
        if not isinstance(exc.code, int):  # sys.exit("message") from a library
            print(f"Error: {redact(str(exc.code), secrets)}", file=sys.stderr)
            return 1
        print(
            f"Error: the command stopped with exit status {exc.code} — see the messages above; "
            "rerun with --debug for details",
            file=sys.stderr,
        )
        return exc.code
    except Exception as exc:
        line, code = describe_failure(exc)
        line = " ".join(line.split())  # one line, even when a library's message has several
        if debug:
            print(redact("".join(traceback.format_exception(exc)), secrets), file=sys.stderr, end="")
        print(f"Error: {redact(line, secrets)}", file=sys.stderr)
        return code


def run() -> None:
    """Console-script wrapper."""
    sys.exit(main())
