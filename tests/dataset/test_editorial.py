"""Step 2b: plain typography for every statement; a fact-checker's insertions and elisions leave spoken ones."""

from __future__ import annotations

import pytest

from deep_classiflie.config import load_config
from deep_classiflie.dataset.editorial import plain_typography, strip_editorial, strip_records
from deep_classiflie.dataset.pipeline import build_falsehood_members
from deep_classiflie.dataset.tasks import load_task
from tests.dataset.helpers import rec


@pytest.mark.parametrize(
    ("text", "expected", "insertions", "elisions"),
    [
        ("We put it (a tariff) on solar panels.", "We put it on solar panels.", 1, 0),
        ("They want [the wall] built... and fast", "They want built and fast", 1, 1),
        ("Crime is up … way up", "Crime is up way up", 0, 1),
        ("Nothing to remove here, at all.", "Nothing to remove here, at all.", 0, 0),
        ("an unclosed ( bracket stays", "an unclosed ( bracket stays", 0, 0),
    ],
)
def test_strip_editorial(text: str, expected: str, insertions: int, elisions: int) -> None:
    assert strip_editorial(text) == (expected, {"insertions": insertions, "elisions": elisions})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great job \U0001f1fa\U0001f1f8 \u27a1\ufe0f more jobs…", "Great job more jobs..."),
        ("Thank you \U0001f468\u200d\U0001f469\u200d\U0001f467 families!", "Thank you families!"),
        ("Café prices — up 10% (really)", "Café prices — up 10% (really)"),
        ("plain ascii stays as it is...", "plain ascii stays as it is..."),
    ],
)
def test_plain_typography(text: str, expected: str) -> None:
    assert plain_typography(text) == expected


def test_typography_applies_to_tweets_of_both_classes() -> None:
    records = [rec(1, label=1, text="The wall is going up fast…"), rec(2, text="Happy Thanksgiving \U0001f983 to all")]
    out, stats = strip_records(records, min_words=2)
    assert [r.text for r in out] == ["The wall is going up fast...", "Happy Thanksgiving to all"]
    assert stats["typography"] == 2 and stats["insertions"] == stats["elisions"] == 0


def test_strip_records_leaves_tweets_and_recounts_words() -> None:
    spoken = rec(1, stype="interview", label=1, text="We put it (a tariff) on solar panels and steel")
    tweet = rec(2, stype="tweet", label=0, text="Great rally tonight (thank you Ohio) see you soon")
    short = rec(3, stype="speech", label=0, text="(applause) thank you")
    out, stats = strip_records([spoken, tweet, short], min_words=3)
    assert [r.statement_id for r in out] == [1, 2]
    assert out[0].text == "We put it on solar panels and steel" and out[0].word_count == 8
    assert out[0].text_hash == spoken.text_hash  # still names the stored statement
    assert out[1] == tweet
    assert stats == {"changed": 2, "typography": 0, "insertions": 2, "elisions": 0, "dropped_too_short": 1}


@pytest.mark.parametrize("enabled", [True, False])
def test_the_falsehood_build_strips_both_classes_only_when_enabled(enabled: bool) -> None:
    cfg = load_config(
        None,
        [f"dataset.strip_editorial={str(enabled).lower()}", "dataset.converge=false", "dataset.filter.embedding=none"],
    ).dataset
    task = load_task(cfg)
    false_text = "the economy (under my leadership) is the best it has ever been in history"
    true_text = "we are going to build the wall... and it is going to be a great wall soon"
    days = ["2017-03-01", "2017-03-02", "2017-03-03"]
    falsehoods = [rec(1 + i, day, stype="interview", label=1, text=f"{false_text} {i}") for i, day in enumerate(days)]
    statements = [rec(11 + i, day, stype="interview", text=f"{true_text} {i}") for i, day in enumerate(days)]
    result = build_falsehood_members(falsehoods, statements, cfg, task, embed=None)
    texts = {m.record.statement_id: m.record.text for m in result.members}
    if enabled:
        assert texts[1] == "the economy is the best it has ever been in history 0"
        assert texts[11] == "we are going to build the wall and it is going to be a great wall soon 0"
        assert result.steps["editorial"]["falsehoods"]["insertions"] == 3
        assert result.steps["editorial"]["truths"]["elisions"] == 3
    else:
        assert texts[1] == f"{false_text} 0" and texts[11] == f"{true_text} 0"
        assert "editorial" not in result.steps
