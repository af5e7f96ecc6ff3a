"""Secrets are found in settings and DC_* variables and blanked out of any text."""

from __future__ import annotations

from pydantic import SecretStr

from deep_classiflie.core.secrets import MASK, redact, secrets_from, url_secrets


def test_url_password_both_forms() -> None:
    assert url_secrets("mysql+mysqlconnector://u:p%40ss%25w0rd@h:3306/db") == ["p%40ss%25w0rd", "p@ss%w0rd"]
    assert url_secrets("sqlite:////tmp/x.sqlite") == []
    assert url_secrets("mysql://user@host/db") == []


def test_secrets_from_settings_values_and_environment() -> None:
    env = {"DC_API_TOKEN": "tok-123456", "DC_OTHER": "not-a-secret", "HOME": "/root"}
    found = secrets_from([SecretStr("abcdef"), "mysql://u:pw%23x@h/db", None, 3], environ=env)
    assert set(found) == {"abcdef", "pw%23x", "pw#x", "tok-123456"}


def test_redact_urls_and_known_secrets() -> None:
    text = "cannot connect to mysql+mysqlconnector://root:hunter2@127.0.0.1/db; token tok-123456 rejected"
    out = redact(text, ["tok-123456"])
    assert out == f"cannot connect to mysql+mysqlconnector://root:{MASK}@127.0.0.1/db; token {MASK} rejected"
    # a password the URL pattern would miss (no URL around it) goes by value
    assert redact("login failed for p@ss%w0rd", ["p@ss%w0rd"]) == f"login failed for {MASK}"
    # a one-letter secret is blanked inside URLs only (not every "a" of the text)
    assert redact("a mysql://u:a@h/db", secrets_from(["mysql://u:a@h/db"], environ={})) == f"a mysql://u:{MASK}@h/db"
