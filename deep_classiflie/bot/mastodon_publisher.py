"""Posting to Mastodon with Mastodon.py (the optional ``bot`` extra): media upload, a status, the account's statuses.

The post's idempotency key goes in the ``Idempotency-Key`` header, so the instance itself drops a repeat of
the same post; a restarted bot still asks the account's statuses first, like on Twitter.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from deep_classiflie.bot.errors import PublishAuthError, RejectedPost, TransientPublishError
from deep_classiflie.bot.publishers import Post, same_text
from deep_classiflie.config.bot import BotConfig
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.core.settings import Settings

T = TypeVar("T")
_TAG = re.compile(r"<[^>]+>")


def _mastodon() -> Any:
    try:
        import mastodon
    except ImportError:
        raise ConfigError(
            "bot.publisher is mastodon but Mastodon.py is not installed",
            hint="pip install 'deep-classiflie[bot]' (or Mastodon.py)",
        ) from None
    return mastodon


def plain_text(content: str) -> str:
    """A status's HTML content as plain text (paragraphs and line breaks become spaces)."""
    return html.unescape(_TAG.sub(" ", content.replace("<br>", "\n").replace("</p>", "\n")))


class MastodonPublisher:
    """One account on one instance."""

    network = "mastodon"

    def __init__(self, api: Any, *, visibility: str = "public") -> None:
        self.api = api
        self.visibility = visibility
        self.account_id: Any = None

    @classmethod
    def from_settings(cls, settings: Settings, cfg: BotConfig) -> MastodonPublisher:
        """A client for ``bot.mastodon.api_base_url`` with ``DC_MASTODON_ACCESS_TOKEN``."""
        mastodon = _mastodon()
        token = settings.mastodon_access_token.get_secret_value().strip() if settings.mastodon_access_token else ""
        if not token:
            raise ConfigError(
                "bot.publisher is mastodon but DC_MASTODON_ACCESS_TOKEN is not set",
                hint="export it (or add it to .env); it is never read from config or the DB",
            )
        api = mastodon.Mastodon(
            access_token=token,
            api_base_url=cfg.mastodon.api_base_url,
            request_timeout=cfg.retry.timeout_s,
            ratelimit_method="throw",  # the bot's own bounded backoff waits, not Mastodon.py
            version_check_mode="none",
            mastodon_version="4.0.0",
        )
        api.session.trust_env = False
        return cls(api, visibility=cfg.mastodon.visibility)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        mastodon = _mastodon()
        try:
            return fn()
        except mastodon.MastodonRatelimitError:
            reset = getattr(self.api, "ratelimit_reset", None)
            asked = max(0.0, float(reset) - time.time()) if reset else None
            raise TransientPublishError(f"Mastodon rate limit (429) on {what}", retry_after=asked) from None
        except mastodon.MastodonUnauthorizedError:
            raise PublishAuthError(
                f"the Mastodon instance refused the bot's access token (401) on {what}",
                hint="check DC_MASTODON_ACCESS_TOKEN and bot.mastodon.api_base_url",
            ) from None
        except (mastodon.MastodonServerError, mastodon.MastodonNetworkError) as exc:
            raise TransientPublishError(f"Mastodon unreachable or failing on {what}: {type(exc).__name__}") from None
        except mastodon.MastodonAPIError as exc:
            status = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
            if status == 403:
                raise PublishAuthError(
                    f"the Mastodon instance refused the bot (403) on {what}",
                    hint="check the access token's scopes (write:statuses, write:media)",
                ) from None
            if status is None:  # an unreadable answer: the request may have worked; retried after a lookup
                raise TransientPublishError(f"Mastodon sent an unreadable answer on {what}") from None
            raise RejectedPost(f"Mastodon refused {what} ({status}): {exc.args[-1]}") from None

    def upload_media(self, path: Path) -> str:
        """POST /api/v2/media; returns the attachment id."""
        media = self._call("media upload", lambda: self.api.media_post(str(path)))
        return str(media["id"])

    def create_post(self, post: Post, media_id: str | None) -> str:
        """POST /api/v1/statuses with the post's idempotency key; returns the status id."""
        status = self._call(
            "create status",
            lambda: self.api.status_post(
                post.text,
                media_ids=[media_id] if media_id else None,
                visibility=self.visibility,
                idempotency_key=post.key,
            ),
        )
        return str(status["id"])

    def find_post(self, post: Post) -> str | None:
        """The account's status with the queued text among its 40 newest, or None."""
        if self.account_id is None:
            me = self._call("account lookup", lambda: self.api.account_verify_credentials())
            self.account_id = me["id"]
        statuses = self._call("statuses lookup", lambda: self.api.account_statuses(self.account_id, limit=40))
        for status in statuses or []:
            if str(status.get("id")) not in post.taken and same_text(
                plain_text(str(status.get("content", ""))), post.text
            ):
                return str(status["id"])
        return None
