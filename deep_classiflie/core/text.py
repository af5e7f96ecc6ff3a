"""Text normalisation and hashing shared by importers, scrapers, dataset filters and the service.

Pure functions. The rules are the original's cleaning rules (HTML entities, URLs, mentions,
bracketed asides, dashes, smart quotes, whitespace), each switchable in ``NormaliseConfig``.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

from deep_classiflie.config.ingest import NormaliseConfig

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w{1,15}")
_BRACKETS = re.compile(
    r"\[[^\[\]]*\]|\((?:APPLAUSE|LAUGHTER|CROSSTALK|INAUDIBLE|BOOING|CHEERS?|CHANTING)[^()]*\)", re.I
)
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"'}
_QUOTE_TABLE = str.maketrans(_QUOTES)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")

DEFAULT_NORMALISE = NormaliseConfig()


def normalise(text: str, rules: NormaliseConfig = DEFAULT_NORMALISE) -> str:
    """Clean ``text`` by the configured rules; returns ``""`` when nothing is left."""
    out = unicodedata.normalize("NFC", text)
    if rules.unescape_html:
        out = html.unescape(out)
    out = out.replace("\u00a0", " ").replace("\u200b", "")
    if rules.strip_urls:
        out = _URL.sub(" ", out)
    if rules.strip_mentions:
        out = _MENTION.sub(" ", out)
    if rules.strip_brackets:
        out = _BRACKETS.sub(" ", out)
    if rules.normalise_dashes:
        out = _DASHES.sub("-", out)
    if rules.normalise_quotes:
        out = out.translate(_QUOTE_TABLE)
    if rules.collapse_whitespace:
        out = _SPACE.sub(" ", out)
    return out.strip()


def hash_key(text: str) -> str:
    """The form compared for duplicates: lower case, letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def text_hash(text: str) -> str:
    """sha256 of :func:`hash_key`: equal for texts that differ only in case, spacing and punctuation."""
    return hashlib.sha256(hash_key(text).encode("utf-8")).hexdigest()


def word_count(text: str) -> int:
    """Whitespace-separated words."""
    return len(_WORD.findall(text))
