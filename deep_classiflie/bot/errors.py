"""What a publisher raises: a transient failure (retried with backoff), a refused post, or refused credentials."""

from __future__ import annotations

from deep_classiflie.core.errors import DeepClassiflieError


class PublishError(DeepClassiflieError):
    """A post could not be published."""


class TransientPublishError(PublishError):
    """Rate limit, server error, timeout or dropped connection: worth another try, after ``retry_after`` if given."""

    def __init__(self, message: str, *, retry_after: float | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class RejectedPost(PublishError):
    """The network refused this one post (4xx other than 401/403/429): recorded as failed, never retried."""


class PublishAuthError(PublishError):
    """The network refused the credentials (401/403): the bot stops, since every further post would fail too."""


class Stopping(Exception):
    """SIGTERM arrived while the bot was waiting; unwind and exit cleanly."""
