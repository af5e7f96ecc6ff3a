"""The Publisher interface, the dry-run publisher (the default) and the factory that picks one from config.

A publisher does three things, each one network call (or file write): upload a card image, create a post,
and find a post it may already have created (the question a restarted bot asks before posting again).
Credentials come only from the settings (``DC_TWITTER_*``, ``DC_MASTODON_*``); they are never logged or stored.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from deep_classiflie.config.bot import BotConfig
from deep_classiflie.core.settings import Settings

_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Post:
    """One queued post: its idempotency key, its text, the card image to attach and when it was queued (UTC)."""

    key: str
    text: str
    media: Path | None
    created_at: dt.datetime
    # ids of posts already recorded for other outbox rows: a lookup never takes one of them for this post
    # (two statements can make the same text once links are left out)
    taken: frozenset[str] = frozenset()


class Publisher(Protocol):
    """What the delivery loop needs from a network."""

    network: str

    def upload_media(self, path: Path) -> str:
        """Upload an image; returns the network's media id."""
        ...

    def create_post(self, post: Post, media_id: str | None) -> str:
        """Publish ``post`` (with the uploaded media); returns the post id."""
        ...

    def find_post(self, post: Post) -> str | None:
        """The id of a post this account already published for ``post``, or None."""
        ...


def same_text(published: str, queued: str) -> bool:
    """Whether a published text is the queued one (links are rewritten by networks, so they are left out)."""

    def norm(text: str) -> str:
        return " ".join(_URL.sub("", html.unescape(text)).split())

    return norm(published) == norm(queued)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a temp file and a rename, so a kill never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DryRunPublisher:
    """Writes what would be posted (``<key>.json`` with the text, and the card) to ``<out>/dry_run/<day>/``."""

    network = "dry_run"

    def __init__(self, out_dir: Path) -> None:
        self.root = out_dir / "dry_run"

    def _day(self, when: dt.datetime) -> Path:
        return self.root / f"{when:%Y-%m-%d}"

    def upload_media(self, path: Path) -> str:
        """Copy the card next to the posts of today; the media id is the copy's file name."""
        target = self._day(dt.datetime.now(dt.UTC)) / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return target.name

    def create_post(self, post: Post, media_id: str | None) -> str:
        """Write the post's JSON (atomically); its id is ``dry_run:<key>``."""
        body = {"key": post.key, "text": post.text, "media": media_id, "queued_at": post.created_at.isoformat()}
        write_atomic(self._day(post.created_at) / f"{post.key}.json", json.dumps(body, indent=2).encode("utf-8"))
        return f"dry_run:{post.key}"

    def find_post(self, post: Post) -> str | None:
        """The post's id when its JSON was written (on any day)."""
        found = f"dry_run:{post.key}"
        return found if found not in post.taken and any(self.root.glob(f"*/{post.key}.json")) else None


def make_publisher(cfg: BotConfig, settings: Settings, out_dir: Path) -> Publisher:
    """The configured publisher; a ConfigError names any missing credential setting."""
    if cfg.publisher == "twitter":
        from deep_classiflie.bot.twitter_publisher import TwitterPublisher

        return TwitterPublisher.from_settings(settings, cfg)
    if cfg.publisher == "mastodon":
        from deep_classiflie.bot.mastodon_publisher import MastodonPublisher

        return MastodonPublisher.from_settings(settings, cfg)
    return DryRunPublisher(out_dir)
