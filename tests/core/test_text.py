"""Normaliser and hashing: the original's cleaning rules, each switchable."""

from __future__ import annotations

from deep_classiflie.config.ingest import NormaliseConfig
from deep_classiflie.core.text import hash_key, normalise, text_hash, word_count


def test_normalise_applies_each_rule() -> None:
    raw = "We&amp;they \u201cwon\u201d \u2014 big!  https://t.co/abc [inaudible] (APPLAUSE) @foo\u00a0ok"
    assert normalise(raw) == "We&they \"won\" - big! @foo ok"
    assert "@foo" not in normalise(raw, NormaliseConfig(strip_mentions=True))
    assert "https://t.co/abc" in normalise(raw, NormaliseConfig(strip_urls=False))


def test_hash_ignores_case_spacing_and_punctuation() -> None:
    assert text_hash("We are the HIGHEST taxed nation!") == text_hash("we are the highest-taxed nation")
    assert text_hash("a") != text_hash("b")
    assert hash_key("It's  Great.") == "itsgreat"


def test_word_count() -> None:
    assert word_count("  one two\tthree\nfour ") == 4
    assert word_count("") == 0
