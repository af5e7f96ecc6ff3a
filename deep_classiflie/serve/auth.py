"""API-key auth: admin routes always need ``DC_API_KEY``; read routes too when ``serve.auth_reads`` is on."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import HTTPException
from pydantic import SecretStr

HEADER = "X-API-Key"


def key_matches(expected: SecretStr, given: str | None) -> bool:
    """Constant-time comparison of the configured key and the one a request sent."""
    if not given:
        return False
    return hmac.compare_digest(expected.get_secret_value().encode(), given.encode())


def check_key(expected: SecretStr | None, given: str | None, *, admin: bool) -> None:
    """401 for a missing or wrong key; 403 for an admin route when the service has no key at all."""
    if expected is None:
        if admin:
            raise HTTPException(403, "admin routes are disabled: start the service with DC_API_KEY set")
        return
    if not key_matches(expected, given):
        raise HTTPException(
            401, f"missing or wrong API key (send it in the {HEADER} header)", {"WWW-Authenticate": HEADER}
        )


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_warning(host: str, api_key: SecretStr | None) -> str | None:
    """The warning to log when the service listens beyond loopback without a key (else ``None``)."""
    if is_loopback(host) or api_key is not None:
        return None
    return (
        f"serving on {host} without DC_API_KEY: anyone who can reach this address can use the read routes "
        "(admin routes stay disabled); set DC_API_KEY, or bind 127.0.0.1"
    )
