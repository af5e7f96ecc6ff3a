"""From word-piece scores to one score per word of the statement, as it was written.

A word is a run of non-whitespace characters (so ``economy.``, ``#MAGA``, an emoji or a URL is one word).
Each token belongs to the word that contains its first non-whitespace character (fast-tokenizer offsets;
special tokens have empty spans and belong to none); a word's score is the sum of its tokens' scores.
Words past the model's ``max_length`` were never seen: they score 0 and are marked ``seen: false``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

_WORD = re.compile(r"\S+")


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of the whitespace-separated words of ``text``."""
    return [m.span() for m in _WORD.finditer(text)]


def merge_to_words(text: str, offsets: np.ndarray, scores: np.ndarray) -> list[dict[str, Any]]:
    """``[{"word", "score", "start", "end", "seen"}]`` for every word of ``text``; scores summed per word."""
    spans = word_spans(text)
    starts = np.array([s for s, _ in spans], dtype=np.int64)
    totals = np.zeros(len(spans), dtype=np.float64)
    seen = np.zeros(len(spans), dtype=bool)
    for (begin, end), score in zip(np.asarray(offsets).tolist(), np.asarray(scores).tolist(), strict=True):
        if end <= begin:
            continue  # special token
        first = begin + (len(text[begin:end]) - len(text[begin:end].lstrip()))  # SentencePiece: leading space
        w = int(np.searchsorted(starts, first, side="right")) - 1
        if w < 0 or first >= spans[w][1]:
            continue  # only whitespace: belongs to no word
        totals[w] += score
        seen[w] = True
    return [
        {"word": text[s:e], "score": float(totals[i]), "start": s, "end": e, "seen": bool(seen[i])}
        for i, (s, e) in enumerate(spans)
    ]


def normalise_scores(values: np.ndarray, how: str) -> np.ndarray:
    """Scores divided by their largest magnitude (``max_abs``, into [-1, 1]) or by their L1 norm (``l1``)."""
    v = np.asarray(values, dtype=np.float64)
    scale = float(np.abs(v).max(initial=0.0)) if how == "max_abs" else float(np.abs(v).sum())
    return v / scale if scale > 0 else np.zeros_like(v)


def top_word(words: list[dict[str, Any]]) -> str | None:
    """The word with the largest absolute score (the first of equals), or None when every score is 0."""
    if not words:
        return None
    best = max(range(len(words)), key=lambda i: (abs(words[i]["score"]), -i))
    return str(words[best]["word"]) if words[best]["score"] != 0 else None
