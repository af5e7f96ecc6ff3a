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

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled whole (hint and any subclass fields), so an error can cross a process boundary.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[DeepClassiflieError], message: str, state: dict[str, object]) -> DeepClassiflieError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


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
