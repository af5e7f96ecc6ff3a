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


def resolve_db_url(settings: Settings, data_dir: Path) -> str:
    """The configured DB URL, else the embedded SQLite file under ``data_dir``."""
    if settings.db_url:
        return settings.db_url
    return f"sqlite:///{(data_dir / 'deep_classiflie.sqlite').resolve()}"
