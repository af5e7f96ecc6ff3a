"""The one Error line for failures a user can cause, and the log filter that blanks secrets."""

from __future__ import annotations

import errno
import io
import logging
import socket

import pytest

from deep_classiflie.cli.failures import INTERNAL_EXIT, check_bindable, describe_failure
from deep_classiflie.cli.main import _configure_logging
from deep_classiflie.core.errors import ConfigError, StoreError


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied", "/runs/x"),
            "cannot use /runs/x: Permission denied — choose a path you can write to",
        ),
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "/nope"), "cannot use /nope: No such file"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "/tmp"), "a file was given where a folder is expected"),
        (OSError(errno.EADDRINUSE, "Address already in use"), "address already in use"),
        (socket.gaierror(-2, "Name or service not known"), "cannot resolve host: Name or service not known"),
        (StoreError("the store is gone", hint="run it"), "the store is gone — run it"),
        (MemoryError(), "out of memory"),
    ],
    ids=["eacces", "enoent", "eisdir", "port-in-use", "unknown-host", "platform-error", "memory"],
)
def test_expected_failures(exc: BaseException, line: str) -> None:
    text, code = describe_failure(exc)
    assert line in text and code != 0 and code != INTERNAL_EXIT


def test_a_bug_says_so() -> None:
    text, code = describe_failure(KeyError("x"))
    assert code == INTERNAL_EXIT and text.startswith("internal error (KeyError: 'x')") and "--debug" in text


def test_db_error_gets_the_code_hint() -> None:
    import mysql.connector
    from sqlalchemy.exc import OperationalError

    orig = mysql.connector.errors.ProgrammingError(msg="Unknown database 'x'", errno=1049)
    text, _ = describe_failure(OperationalError("SELECT 1", {}, orig))
    assert "Unknown database 'x'" in text and "CREATE DATABASE" in text and "is MariaDB running" not in text


@pytest.mark.parametrize(
    ("code", "hint"),
    [(1406, "does not fit its column"), (1213, "another process"), (1146, "db upgrade"), (2013, "is MariaDB running")],
)
def test_db_error_hints_by_code(code: int, hint: str) -> None:
    import mysql.connector
    from sqlalchemy.exc import OperationalError

    orig = mysql.connector.errors.DatabaseError(msg="server said no", errno=code)
    text, exit_code = describe_failure(OperationalError("INSERT …", {}, orig))
    assert text.startswith(f"database error: {code}") and hint in text and exit_code == 1


def test_check_bindable() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            check_bindable("127.0.0.1", port)
    check_bindable("127.0.0.1", 0)  # any free port


def test_log_records_are_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        _configure_logging(False, ["tok-abcdef"])
        logging.getLogger("deep_classiflie.test").warning(
            "connecting to %s with %s", "mysql://u:pw%40x@h/db", "tok-abcdef"
        )
    finally:
        root.removeHandler(handler)
    assert stream.getvalue().strip() == "connecting to mysql://u:***@h/db with ***"
