"""One exception family for the whole platform.

Every error names what went wrong and, through ``hint``, how to fix it. The CLI prints
``Error: <message>`` and exits non-zero; the HTTP service maps the classes to status codes.
"""

from __future__ import annotations


class DeepClassiflieError(Exception):
    """Base class: ``message`` says what and where, ``hint`` says how to fix it."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ConfigError(DeepClassiflieError):
    """A job config, override or setting is invalid."""

    exit_code = 2


class DataSourceError(DeepClassiflieError):
    """An input file or remote source is missing, unreadable or not in the expected format."""


class StoreError(DeepClassiflieError):
    """The database cannot be reached, is not migrated, or rejected a write."""


class DatasetError(DeepClassiflieError):
    """A dataset cannot be built from what is in the store."""


class ModelError(DeepClassiflieError):
    """An encoder, model folder or checkpoint is missing or inconsistent."""


class FetchError(DeepClassiflieError):
    """A live source could not be fetched (network, HTTP status, policy such as robots.txt)."""
