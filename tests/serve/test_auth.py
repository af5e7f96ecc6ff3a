"""Key comparison and the bind warning (pure functions)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from deep_classiflie.serve.auth import bind_warning, is_loopback, key_matches


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.0.2.7", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_bind_warning_only_beyond_loopback_without_a_key() -> None:
    assert bind_warning("127.0.0.1", None) is None
    assert bind_warning("0.0.0.0", SecretStr("k")) is None
    warning = bind_warning("0.0.0.0", None)
    assert warning is not None and "DC_API_KEY" in warning


def test_key_matches() -> None:
    key = SecretStr("s3cret-key")
    assert key_matches(key, "s3cret-key")
    assert not key_matches(key, "s3cret-kez")
    assert not key_matches(key, "")
    assert not key_matches(key, None)
