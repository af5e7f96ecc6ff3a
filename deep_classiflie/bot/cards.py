"""The card step: render a post's interpretation card (explain stage) into a folder per UTC day, and purge old days.

:class:`CardMaker` is the seam: :class:`ExplainCardMaker` builds the explain stage's card (integrated-gradients
words, bucket, similar statements) and renders it; :class:`NoCard` posts text only.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from deep_classiflie.bot.rules import Candidate
from deep_classiflie.config.explain import ExplainConfig
from deep_classiflie.core.errors import ConfigError

log = logging.getLogger(__name__)


class CardMaker(Protocol):
    """Renders the card of one statement to be posted into ``out_dir``."""

    def make(self, candidate: Candidate, out_dir: Path) -> Path | None:
        """The image to attach (png), or None for a text-only post."""
        ...


class NoCard:
    """Text-only posts (``bot.card: none``)."""

    def make(self, candidate: Candidate, out_dir: Path) -> Path | None:
        return None


class ExplainCardMaker:
    """The explain stage's card of the active model, rendered as png (attached), html and json; stored in the store."""

    def __init__(self, engine: Engine, model_row: Mapping[str, Any], classifier: Any, config: ExplainConfig) -> None:
        self.engine = engine
        self.model_row = model_row
        self.classifier = classifier
        self.config = config

    def make(self, candidate: Candidate, out_dir: Path) -> Path | None:
        """Build, render and record the card; returns its png."""
        from deep_classiflie.core.text import text_hash
        from deep_classiflie.explain.api import ExplainInput, build_cards
        from deep_classiflie.explain.render import render_card
        from deep_classiflie_db.queries.explain import record_explanation

        item = ExplainInput(
            text=candidate.text,
            statement_type=candidate.statement_type,
            statement_id=candidate.statement_id,
            date=candidate.statement_date.date().isoformat() if candidate.statement_date else None,
        )
        card = build_cards(self.engine, self.model_row, self.classifier, [item], self.config)[0]
        formats = sorted({"png", *self.config.formats})
        files = render_card(card, out_dir, formats, png_width_px=self.config.png_width_px)
        with self.engine.begin() as conn:
            record_explanation(
                conn,
                model_version_id=int(self.model_row["id"]),
                statement_id=candidate.statement_id,
                text_hash=text_hash(candidate.text),
                card=card,
                files={k: str(v) for k, v in files.items()},
            )
        return files["png"]


def card_maker(
    kind: str, engine: Engine, model_row: Mapping[str, Any], classifier: Any, config: ExplainConfig
) -> CardMaker:
    """The configured card step; a ConfigError when the explain stage cannot be loaded."""
    if kind == "none":
        return NoCard()
    try:
        import deep_classiflie.explain.api
        import deep_classiflie.explain.render  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"bot.card is explain but the explain stage cannot be loaded ({exc})",
            hint="install the explain extra (pip install 'deep-classiflie[explain]') or set bot.card=none",
        ) from None
    return ExplainCardMaker(engine, model_row, classifier, config)


def day_folder(root: Path, when: dt.datetime) -> Path:
    """``root/YYYY-MM-DD`` of a UTC time."""
    return root / f"{when:%Y-%m-%d}"


def expired_days(names: Iterable[str], *, today: dt.date, retention_days: int) -> list[str]:
    """Day-folder names (``YYYY-MM-DD``) older than ``retention_days`` before ``today``; other names are kept."""
    out = []
    for name in names:
        try:
            day = dt.date.fromisoformat(name)
        except ValueError:
            continue
        if (today - day).days > retention_days:
            out.append(name)
    return sorted(out)


def purge(root: Path, *, today: dt.date, retention_days: int) -> list[str]:
    """Delete the expired day folders under ``root``; returns their names."""
    if not root.is_dir():
        return []
    names = expired_days((p.name for p in root.iterdir() if p.is_dir()), today=today, retention_days=retention_days)
    for name in names:
        shutil.rmtree(root / name, ignore_errors=True)
        log.info("purged %s (older than %d days)", root / name, retention_days)
    return names
