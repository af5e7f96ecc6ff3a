"""Word pieces merged back to the statement's words: punctuation, emoji, URLs, truncation, normalisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deep_classiflie.explain.words import merge_to_words, normalise_scores, top_word, word_spans


def _pieces(encoder_path: Path, text: str, max_length: int = 64) -> tuple[np.ndarray, list[str]]:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(encoder_path))
    enc = tok(text, return_offsets_mapping=True, truncation=True, max_length=max_length)
    return np.asarray(enc["offset_mapping"]), tok.convert_ids_to_tokens(enc["input_ids"])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The wall, the BORDER... and jobs!", ["The", "wall,", "the", "BORDER...", "and", "jobs!"]),
        ("great 🇺🇸🇺🇸 jobs 😀", ["great", "🇺🇸🇺🇸", "jobs", "😀"]),
        ("read https://t.co/AbC?x=1&y=2 now", ["read", "https://t.co/AbC?x=1&y=2", "now"]),
        ("  spaced\tout\n text ", ["spaced", "out", "text"]),
        ('don\'t "quote" (me)', ["don't", '"quote"', "(me)"]),
    ],
    ids=["punctuation", "emoji", "url", "whitespace", "quotes-brackets"],
)
def test_every_word_gets_the_sum_of_its_pieces(encoder_path: Path, text: str, words: list[str]) -> None:
    offsets, tokens = _pieces(encoder_path, text)
    scores = np.arange(1, len(offsets) + 1, dtype=np.float64)  # distinct per piece, so sums are checkable
    merged = merge_to_words(text, offsets, scores)
    assert [w["word"] for w in merged] == words
    assert all(text[w["start"] : w["end"]] == w["word"] for w in merged)
    assert all(w["seen"] for w in merged)
    # special tokens ([CLS], [SEP]) belong to no word: the word sums add up to everything else
    special = [i for i, t in enumerate(tokens) if t in ("[CLS]", "[SEP]")]
    assert sum(w["score"] for w in merged) == pytest.approx(scores.sum() - scores[special].sum())
    assert len(offsets) > len(words)  # several pieces per word were merged


def test_sentencepiece_offsets_with_a_leading_space() -> None:
    """``▁word`` pieces may span the space before the word; they belong to the word, not the previous one."""
    text = "big wall now"
    offsets = np.array([[0, 0], [0, 3], [3, 8], [8, 12], [0, 0]])  # " wall" and " now" include their space
    merged = merge_to_words(text, offsets, np.array([9.0, 1.0, 2.0, 3.0, 9.0]))
    assert [(w["word"], w["score"]) for w in merged] == [("big", 1.0), ("wall", 2.0), ("now", 3.0)]


def test_words_past_max_length_are_marked_unseen(encoder_path: Path) -> None:
    text = "the wall the border the media the jobs"
    offsets, _ = _pieces(encoder_path, text, max_length=5)
    merged = merge_to_words(text, offsets, np.ones(len(offsets)))
    assert [w["seen"] for w in merged] == [True, True, True] + [False] * 5
    assert [w["score"] for w in merged if not w["seen"]] == [0.0] * 5


@pytest.mark.parametrize(
    ("how", "expected"),
    [("max_abs", [0.5, -1.0, 0.25]), ("l1", [2 / 7, -4 / 7, 1 / 7])],
)
def test_normalisation(how: str, expected: list[float]) -> None:
    np.testing.assert_allclose(normalise_scores(np.array([2.0, -4.0, 1.0]), how), expected)
    assert normalise_scores(np.zeros(3), how).tolist() == [0.0, 0.0, 0.0]


def test_top_word_is_the_largest_magnitude() -> None:
    words = [{"word": "a", "score": 0.2}, {"word": "b", "score": -0.9}, {"word": "c", "score": 0.9}]
    assert top_word(words) == "b"  # ties: the first
    assert top_word([{"word": "a", "score": 0.0}]) is None and top_word([]) is None


def test_word_spans_of_empty_text() -> None:
    assert word_spans("") == [] and word_spans("   ") == []
