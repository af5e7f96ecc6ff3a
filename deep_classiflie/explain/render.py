"""Render a card (schema 1 dict) as JSON, standalone HTML and PNG; every file written atomically.

Files are named by statement id (or, for free text, by a hash of the text) and model version:
``statement-<id>__model-<version id>.<ext>`` / ``text-<16 hex>__model-<version id>.<ext>``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from deep_classiflie.core.errors import ConfigError
from deep_classiflie.explain.colours import legend, word_colour

FORMATS = ("png", "html", "json")


def card_stem(card: Mapping[str, Any]) -> str:
    """The file name (without extension) of a card: by statement id or text hash, and model version."""
    sid = card["statement"].get("id")
    who = f"statement-{int(sid)}" if sid is not None else "text-" + text_key(str(card["statement"]["text"]))
    return f"{who}__model-{int(card['model']['id'])}"


def text_key(text: str) -> str:
    """16 hex digits of the sha256 of a free text (names its card files)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to a temp file beside ``path`` and rename it over ``path`` (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def card_json(card: Mapping[str, Any]) -> str:
    """The card as stable, pretty JSON text."""
    return json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_ENV = Environment(
    loader=PackageLoader("deep_classiflie.explain", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def card_html(card: Mapping[str, Any]) -> str:
    """The card as one standalone HTML page: inline CSS, no scripts, no external fonts; all text escaped."""
    words = [{**w, "colour": word_colour(w["score"] if w.get("seen", True) else None)} for w in card["words"]]
    url = card["statement"].get("source_url")
    # Only http(s) links: a javascript: or data: URL in the store must not become a live link.
    safe_url = url if isinstance(url, str) and url.lower().startswith(("https://", "http://")) else None
    metric_names = sorted({m for values in card["global_metrics"].values() for m in values})
    return _ENV.get_template("card.html.j2").render(
        card=card,
        words=words,
        legend=legend(card),
        positive_colour=word_colour(1.0)["background"],
        negative_colour=word_colour(-1.0)["background"],
        safe_source_url=safe_url,
        metric_names=metric_names,
        fmt=_fmt,
    )


def _fmt(value: Any) -> str:
    return "" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """The requested formats, validated (a ConfigError names the unknown one)."""
    out = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise ConfigError(
            f"unknown card format {bad[0]!r}" if bad else "no card format given",
            hint="use a comma-separated list of: " + ", ".join(FORMATS),
        )
    return out


def render_card(
    card: Mapping[str, Any], out_dir: Path, formats: Iterable[str] = FORMATS, *, png_width_px: int = 1200
) -> dict[str, Path]:
    """Write the card in each format into ``out_dir``; returns format → path."""
    stem = card_stem(card)
    out: dict[str, Path] = {}
    for fmt in check_formats(formats):
        path = Path(out_dir) / f"{stem}.{fmt}"
        if fmt == "json":
            write_atomic(path, card_json(card).encode("utf-8"))
        elif fmt == "html":
            write_atomic(path, card_html(card).encode("utf-8"))
        else:
            from deep_classiflie.explain.png import card_png

            write_atomic(path, card_png(card, width_px=png_width_px))
        out[fmt] = path
    return out
