"""Text normalisation and hashing shared by importers, scrapers, dataset filters and the service.

Pure functions. The rules are the original's cleaning rules (HTML entities, URLs, mentions,
bracketed asides, dashes, smart quotes, whitespace), each switchable in ``NormaliseConfig``.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable

from deep_classiflie.config.ingest import NormaliseConfig

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w{1,15}")
_BRACKETS = re.compile(
    r"\[[^\[\]]*\]|\((?:APPLAUSE|LAUGHTER|CROSSTALK|INAUDIBLE|BOOING|CHEERS?|CHANTING)[^()]*\)", re.I
)
_DASH_TABLE = {cp: "-" for cp in [*range(0x2010, 0x2016), 0x2212]}
_QUOTE_TABLE = {
    0x2018: "'",
    0x2019: "'",
    0x201A: "'",
    0x201B: "'",
    0x201C: '"',
    0x201D: '"',
    0x201E: '"',
}
_INVISIBLE_TABLE = {0x00A0: " ", 0x200B: None}
_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is str.isalnum() plus "_" in Python's re
_ASCII_NOT_ALNUM_BYTES = bytes(c for c in range(128) if not chr(c).isalnum())
_ASCII_NOT_ALNUM = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isalnum()))

DEFAULT_NORMALISE = NormaliseConfig()


@functools.cache
def _char_table(dashes: bool, quotes: bool) -> dict[int, str | None]:
    table: dict[int, str | None] = dict(_INVISIBLE_TABLE)
    if dashes:
        table.update(_DASH_TABLE)
    if quotes:
        table.update(_QUOTE_TABLE)
    return table


def normalise(text: str, rules: NormaliseConfig = DEFAULT_NORMALISE) -> str:
    """Clean ``text`` by the configured rules; returns ``""`` when nothing is left.

    Steps, in order: NFC; HTML entities; non-breaking space → space, zero-width space removed; URLs;
    @mentions; bracketed asides and stage directions; Unicode dashes → ``-``; smart quotes → straight;
    runs of whitespace → one space; trim. Each step is skipped cheaply when its characters are absent
    (importers call this for every statement, so it is on the hot path).
    """
    out = text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
    if rules.unescape_html and "&" in out:
        out = html.unescape(out)
    ascii_only = out.isascii()
    if not ascii_only:
        # The character-wise steps commute: one translate does the enabled ones together.
        out = out.translate(_char_table(rules.normalise_dashes, rules.normalise_quotes))
    if rules.strip_urls and ("://" in out or "ww." in out.lower()):
        out = _URL.sub(" ", out)
    if rules.strip_mentions and "@" in out:
        out = _MENTION.sub(" ", out)
    if rules.strip_brackets and ("[" in out or "(" in out):
        out = _BRACKETS.sub(" ", out)
    if rules.collapse_whitespace:
        return " ".join(out.split())  # str.split() splits on exactly the characters \s matches
    return out.strip()


def hash_key(text: str) -> str:
    """The form compared for duplicates: NFKC, case-folded, letters and digits only."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():
        return folded.translate(_ASCII_NOT_ALNUM)
    return _NOT_ALNUM.sub("", folded)


def text_hash(text: str) -> str:
    """sha256 of :func:`hash_key`: equal for texts that differ only in case, spacing and punctuation."""
    if text.isascii():  # the common case, 3x faster: NFKC is the identity and casefold is lower on ASCII
        return hashlib.sha256(text.lower().encode("ascii").translate(None, _ASCII_NOT_ALNUM_BYTES)).hexdigest()
    return hashlib.sha256(hash_key(text).encode("utf-8")).hexdigest()


def word_count(text: str) -> int:
    """Whitespace-separated words."""
    return len(text.split())


def word_grams(texts: Iterable[str], n: int = 8) -> frozenset[int]:
    """Hashes of the word ``n``-grams of ``texts``, words compared as :func:`hash_key` does (case,
    punctuation and quotes ignored); used to find one text inside another (a quoted claim in a transcript)."""
    out: set[int] = set()
    for text in texts:
        words = [w for w in (hash_key(t) for t in text.split()) if w]
        out.update(hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1))
    return frozenset(out)
