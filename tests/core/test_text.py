"""Normaliser and hashing: the original's cleaning rules, each switchable."""

from __future__ import annotations

import hashlib
import html as _html
import re as _re
import unicodedata as _ud

from hypothesis import given, settings
from hypothesis import strategies as st

from deep_classiflie.config.ingest import NormaliseConfig
from deep_classiflie.core import text as _text
from deep_classiflie.core.text import hash_key, normalise, text_hash, word_count


def test_normalise_applies_each_rule() -> None:
    raw = "We&amp;they \u201cwon\u201d \u2014 big!  https://t.co/abc [inaudible] (APPLAUSE) @foo\u00a0ok"
    assert normalise(raw) == 'We&they "won" - big! @foo ok'
    assert "@foo" not in normalise(raw, NormaliseConfig(strip_mentions=True))
    assert "https://t.co/abc" in normalise(raw, NormaliseConfig(strip_urls=False))


def test_hash_ignores_case_spacing_and_punctuation() -> None:
    assert text_hash("We are the HIGHEST taxed nation!") == text_hash("we are the highest-taxed nation")
    assert text_hash("a") != text_hash("b")
    assert hash_key("It's  Great.") == "itsgreat"


def test_word_count() -> None:
    assert word_count("  one two\tthree\nfour ") == 4
    assert word_count("") == 0


# ---------------------------------------------------------------- the fast paths equal the plain rules


def reference_normalise(text: str, rules: NormaliseConfig) -> str:
    """The rules applied one by one with regexes: what the fast version must match."""
    out = _html.unescape(_ud.normalize("NFC", text)) if rules.unescape_html else _ud.normalize("NFC", text)
    out = out.replace("\u00a0", " ").replace("\u200b", "")
    if rules.strip_urls:
        out = _text._URL.sub(" ", out)
    if rules.strip_mentions:
        out = _text._MENTION.sub(" ", out)
    if rules.strip_brackets:
        out = _text._BRACKETS.sub(" ", out)
    if rules.normalise_dashes:
        out = _re.sub(r"[\u2010-\u2015\u2212]", "-", out)
    if rules.normalise_quotes:
        out = out.translate(str.maketrans(_text._QUOTE_TABLE))
    if rules.collapse_whitespace:
        out = _re.sub(r"\s+", " ", out)
    return out.strip()


pieces = st.sampled_from(
    ["&amp;", "&nbsp;", "\u00a0", "\u200b", "http://x.co/a", "WWW.x.org", "@who", "[aside]", "(APPLAUSE)", "\u2014",
     "\u201cq\u201d", "\u2019", " ", "\t\n", "e\u0301", "word", ".", "Ⅻ", "ß", "_"]
)  # fmt: skip
texts = st.lists(st.one_of(pieces, st.text(max_size=4)), max_size=12).map("".join)
rule_sets = st.builds(NormaliseConfig, **{name: st.booleans() for name in NormaliseConfig.model_fields})


@settings(max_examples=300, deadline=None)
@given(text=texts, rules=rule_sets)
def test_normalise_equals_the_plain_rules(text: str, rules: NormaliseConfig) -> None:
    assert normalise(text, rules) == reference_normalise(text, rules)


@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_hash_key_equals_isalnum_filter_and_word_count_equals_regex(text: str) -> None:
    folded = _ud.normalize("NFKC", text).casefold()
    assert hash_key(text) == "".join(ch for ch in folded if ch.isalnum())
    # the ASCII fast path hashes exactly the key
    assert text_hash(text) == hashlib.sha256(hash_key(text).encode("utf-8")).hexdigest()
    assert word_count(text) == len(_re.findall(r"\S+", text))
