"""Deployment settings and secrets, from the environment or a local ``.env`` (never committed, never in the DB)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Read once at start-up. Environment variables are prefixed ``DC_`` (``DC_DB_URL`` …)."""

    model_config = SettingsConfigDict(env_prefix="DC_", env_file=".env", extra="ignore")

    db_url: str | None = None
    twitter_bearer_token: SecretStr | None = None
    api_token: SecretStr | None = None
    # The service's key for admin routes (and read routes when serve.auth_reads); DC_API_TOKEN is the fallback.
    api_key: SecretStr | None = None
    # The bot's accounts (user context: OAuth 1.0a for Twitter, an access token for Mastodon).
    twitter_consumer_key: SecretStr | None = None
    twitter_consumer_secret: SecretStr | None = None
    twitter_access_token: SecretStr | None = None
    twitter_access_token_secret: SecretStr | None = None
    mastodon_access_token: SecretStr | None = None


def resolve_db_url(settings: Settings, data_dir: Path) -> str:
    """The configured DB URL, else the embedded SQLite file under ``data_dir``."""
    if settings.db_url:
        return settings.db_url
    return f"sqlite:///{(data_dir / 'deep_classiflie.sqlite').resolve()}"
