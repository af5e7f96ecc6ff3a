"""Editorial marks in quoted speech: a fact-checker's clarifications and elisions, not the speaker's words.

The Toronto Star quotes spoken claims with its own insertions — "We put it (a tariff) on solar panels" — and
elisions ("..."); the transcripts of the same events, where the truths come from, carry neither. Left in, they tell
a model which list a spoken statement came from rather than whether it is false: in the demo's validation split 15
of 325 spoken statements held a bracketed insertion, every one a falsehood; removing them lowered the hybrid head's
non-tweet AUC from 0.851 to 0.830, and a classifier on punctuation counts alone reached AUC 0.72.

So the dataset removes bracketed insertions and elisions from every spoken statement (``dataset.strip_editorial``),
falsehoods and truths alike in every split (never depending on the label); tweets keep theirs (the author's own).

Typography, the same way: a falsehood tweet's text is the fact-checker's copy, a truth tweet's the archive's, and
only the archive has emoji, pictographs and the one-character ellipsis "…" (a punctuation-only classifier told
the two apart at validation AUC 0.70 within tweets). Every statement of both classes gets "…" as "..." and loses
symbols of Unicode category So (emoji, flags, arrows) with their joiners and variation selectors.

Pure functions; ``pipeline.build_falsehood_members`` applies them after the false-truth filter (which matches the
stored texts) and before the length convergence (which sees the stripped word counts).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from deep_classiflie.core.text import word_count
from deep_classiflie.dataset.records import Record

# "(a tariff)", "[the wall]": one level, at most 200 characters (a longer span is not an insertion).
INSERTION = re.compile(r"\s*[(\[][^()\[\]]{0,200}[)\]]")
ELLIPSIS = re.compile(r"\s*(?:\.\s?\.\s?\.|…)\s*")
SPACES = re.compile(r"\s+")
# Types whose text is the author's own writing: marks there are the speaker's, not an editor's.
WRITTEN_TYPES = frozenset({"tweet"})
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")  # zero-width joiner, text/emoji variation selectors


def plain_typography(text: str) -> str:
    """``text`` with "…" as "..." and no emoji or other So symbols (nor their joiners); whitespace collapsed."""
    if text.isascii():
        return text
    out = "".join(c for c in text.replace("…", "...") if c not in _JOINERS and unicodedata.category(c) != "So")
    return SPACES.sub(" ", out).strip()


def strip_editorial(text: str) -> tuple[str, dict[str, int]]:
    """``(text without bracketed insertions and elisions, {"insertions": n, "elisions": m})``."""
    text, insertions = INSERTION.subn("", text)
    text, elisions = ELLIPSIS.subn(" ", text)
    return SPACES.sub(" ", text).strip(), {"insertions": insertions, "elisions": elisions}


def strip_records(records: Sequence[Record], *, min_words: int) -> tuple[list[Record], dict[str, Any]]:
    """Records in plain typography, spoken ones without editorial marks (word counts recomputed).

    A record left with fewer than ``min_words`` words is dropped. Returns the records and what was done
    (records changed, of them by typography, insertions and elisions removed, records dropped).
    """
    out: list[Record] = []
    stats = {"changed": 0, "typography": 0, "insertions": 0, "elisions": 0, "dropped_too_short": 0}
    for record in records:
        text = plain_typography(record.text)
        stats["typography"] += text != record.text
        if record.statement_type not in WRITTEN_TYPES:
            text, found = strip_editorial(text)
            stats["insertions"] += found["insertions"]
            stats["elisions"] += found["elisions"]
        if text == record.text:
            out.append(record)
            continue
        stats["changed"] += 1
        words = word_count(text)
        if words < min_words:
            stats["dropped_too_short"] += 1
            continue
        out.append(replace(record, text=text, word_count=words))
    return out, stats
