"""Expected failures → one ``Error: what — how to fix`` line and an exit code (used by ``cli.main`` only).

``main`` catches everything a command raises and asks :func:`describe_failure` for the line. Platform
errors carry their own message and hint; the usual library failures a user can cause (a path that is not
there or not writable, a port in use, a host that does not resolve, a database that refuses the login)
get a hint that fits them. Anything else is a bug: one line that says so and how to get the traceback.
"""

from __future__ import annotations

import argparse
import errno
import socket
from typing import Any, NoReturn

from deep_classiflie.core.errors import ConfigError, DeepClassiflieError

INTERNAL_EXIT = 70  # EX_SOFTWARE: the code, not the input, is at fault
INTERNAL_PREFIX = "internal error"


class UsageError(ConfigError):
    """The command line itself is wrong (unknown flag, bad value, missing argument, bytes that are not UTF-8)."""

    exit_code = 2


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is raised (and printed by ``main`` as one ``Error:`` line), never printed here."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}", hint=f"see `{self.prog} --help`")


def check_utf8(argv: list[str]) -> None:
    """Arguments that were not valid UTF-8 arrive as surrogate escapes; refuse them before anything reads them."""
    for position, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(
                f"argument {position} is not valid UTF-8: {ascii(arg)[:120]}",
                hint="pass the text in UTF-8 (check the terminal's or the source file's encoding)",
            ) from None


def check_bindable(host: str, port: int) -> None:
    """Bind ``host:port`` once and let go, so a bad host or a port in use is an error before a model loads.

    (uvicorn would log the OSError and ``sys.exit(1)`` instead, after the model had been loaded.)
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(
            f"cannot listen on {host}:{port}: {reason}",
            hint="use an address of this machine (127.0.0.1, 0.0.0.0) and a free port between 1024 and 65535",
        ) from None


def _os_error(exc: OSError) -> tuple[str, str]:
    """Message and hint for an OSError: a path the user gave, or a socket."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host: {reason}", "give a host name that resolves, or an IP address such as 127.0.0.1"
    if exc.filename is not None:
        where = f"{exc.filename}" + (f" → {exc.filename2}" if exc.filename2 is not None else "")
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            hint = "choose a path you can write to (paths.data_dir, paths.runs_dir, --out …) or fix its permissions"
        elif exc.errno == errno.ENOENT:
            hint = "check that the path exists (and its folder, for a file to be written)"
        elif exc.errno in (errno.EISDIR, errno.ENOTDIR):
            hint = "a file was given where a folder is expected, or the other way round: check the path"
        elif exc.errno == errno.ENOSPC:
            hint = "free disk space, or write somewhere else"
        else:
            hint = "check the path"
        return f"cannot use {where}: {reason}", hint
    if exc.errno == errno.EADDRINUSE:
        return f"address already in use: {reason}", "choose another --port, or stop what listens there"
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
        return f"cannot bind: {reason}", "use a local address (127.0.0.1, 0.0.0.0) and a port above 1023"
    return f"{type(exc).__name__}: {reason}", "check the paths, host and port given"


def _db_error(exc: Exception) -> tuple[str, str]:
    from sqlalchemy.exc import DBAPIError

    from deep_classiflie_db.engine import db_error_hint

    if isinstance(exc, DBAPIError):
        return f"database error: {exc.orig}", db_error_hint(exc)
    return f"database error: {type(exc).__name__}: {exc}", "check DC_DB_URL and run `deep-classiflie db upgrade`"


def _validation_error(exc: Exception) -> tuple[str, str]:
    # pydantic's own text repeats the input value (a secret, for settings): name the fields only.
    errors: list[dict[str, Any]] = list(getattr(exc, "errors", list)())
    where = ", ".join(".".join(str(p) for p in e.get("loc", ())) or "<top>" for e in errors) or "?"
    return f"invalid setting or value at {where}", "check the DC_* environment variables and .env"


def describe_failure(exc: BaseException) -> tuple[str, int]:
    """The line to print after ``Error: `` and the exit code, for any exception a command let out."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, DeepClassiflieError):
        return str(exc), exc.exit_code
    message: str
    hint: str
    if isinstance(exc, SQLAlchemyError):
        message, hint = _db_error(exc)
    elif isinstance(exc, OSError):
        message, hint = _os_error(exc)
    elif isinstance(exc, ValidationError):
        message, hint = _validation_error(exc)
    elif isinstance(exc, UnicodeError):
        message, hint = f"text is not valid UTF-8: {exc}", "give UTF-8 text and files"
    elif isinstance(exc, MemoryError):
        message, hint = "out of memory", "use a smaller batch size, fewer texts, or a machine with more memory"
    else:
        text = " ".join(str(exc).split())[:300]
        return (
            f"{INTERNAL_PREFIX} ({type(exc).__name__}: {text}) — this is a bug: rerun with --debug for the "
            "traceback and report it",
            INTERNAL_EXIT,
        )
    return f"{message} — {hint}", 1
