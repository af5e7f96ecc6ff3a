"""Secrets never printed: find the ones this process holds and blank them out of any text.

The CLI runs every error line, debug traceback and log record through :func:`redact`, so a
password in ``DC_DB_URL`` or a token in ``DC_*_TOKEN`` cannot reach the terminal, a log or a file
written from a message, whatever library produced the text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

MASK = "***"
# user:password@ inside any URL, whatever the secret's length (``scheme://user:pw@host``).
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.\-]*://[^:/@\s'\"]*:)(?P<pw>[^\s'\"]+)(?P<at>@)", re.IGNORECASE)
# Environment variables whose values are secrets even when no setting reads them.
_SECRET_NAME = re.compile(r"^DC_.*(TOKEN|SECRET|PASSWORD|PASSWD|KEY|DB_URL)", re.IGNORECASE)
MIN_LEN = 3  # shorter values are blanked only where they sit in a URL (else every "a" would go)


def url_secrets(url: str) -> list[str]:
    """The password of ``url`` as written (URL-encoded) and decoded; empty when it has none."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if not password:
        # urlsplit gives up on some malformed netlocs: fall back to the user:password@ pattern.
        match = _URL_PASSWORD.search(url)
        password = match.group("pw") if match else None
    if not password:
        return []
    return sorted({password, unquote(password)}, key=len, reverse=True)


def secrets_from(values: Iterable[object], environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret in ``values`` (SecretStr contents, URL passwords) and in ``DC_*`` secret variables."""
    found: set[str] = set()
    env = os.environ if environ is None else environ
    candidates = [*values, *(v for k, v in env.items() if _SECRET_NAME.match(k))]
    for value in candidates:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str) or not value:
            continue
        if "://" in value:
            found.update(url_secrets(value))
        else:
            found.add(value)
    return sorted((s for s in found if len(s) >= MIN_LEN), key=len, reverse=True)


def settings_secrets(settings: object) -> list[str]:
    """The secrets held by a pydantic settings object (every field value is looked at)."""
    fields = getattr(type(settings), "model_fields", {})
    return secrets_from(getattr(settings, name, None) for name in fields)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL passwords and every one of ``secrets`` replaced by ``***``."""
    out = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}{m.group('at')}", text)
    for secret in secrets:
        if secret:
            out = out.replace(secret, MASK)
    return out
