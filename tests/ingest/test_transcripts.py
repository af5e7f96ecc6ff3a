"""Transcripts: names → dates, speaker turns, sentence splitting, the word filter, real file counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie_db.ingest.pipeline import Reject, Skip, StatementRecord
from deep_classiflie_db.ingest.transcripts import (
    miller_type,
    parse_campaign_corpus,
    parse_miller_center,
    parse_rally_speeches,
    rally_date,
    speaker_turns,
    split_sentences,
)

CFG = IngestConfig.model_validate({"transcripts": {"min_words": 3, "split": "sentence"}})
INTERVIEW = b"""HOST: Welcome to the show tonight my friend.

DONALD TRUMP: Thank you. We will build a great wall. Mr. Smith agrees with me today.

HOST: Really now, is that so?

And what else?

DONALD TRUMP: Nobody builds walls like me, believe me.
Second paragraph of my answer here.
"""


def test_split_sentences_keeps_abbreviations() -> None:
    assert split_sentences('Mr. Smith went to D.C. today. He said "Go!" Then J. Edgar left? Yes. ok') == [
        "Mr. Smith went to D.C. today.",
        'He said "Go!"',
        "Then J. Edgar left?",
        "Yes. ok",
    ]


def test_speaker_turns_keep_only_the_target() -> None:
    turns = list(speaker_turns(INTERVIEW.decode(), ["DONALD TRUMP"]))
    assert turns == [
        (2, "Thank you. We will build a great wall. Mr. Smith agrees with me today."),
        (8, "Nobody builds walls like me, believe me."),
        (9, "Second paragraph of my answer here."),
    ]
    assert list(speaker_turns("No labels at all here.\nSecond line.", ["X"])) == [
        (0, "No labels at all here."),
        (1, "Second line."),
    ]


def test_campaign_corpus_records_skips_and_as_written_duplicates() -> None:
    spoken = "2015-06-16 11.00.00 (Complete, As spoken) Interview with Bill, Fox.txt"
    written = "2015-06-16 11.00.00 (Complete, As written) Interview with Bill, Fox.txt"
    items = list(
        parse_campaign_corpus(
            [
                (spoken, INTERVIEW),
                (written, INTERVIEW),
                ("notes.txt", b"x"),
                ("2015-06-17 00.00.00 (Partial) Speech, NH.txt", b"\xff"),
            ],
            config=CFG,
        )
    )
    recs = [i for i in items if isinstance(i, StatementRecord)]
    assert [r.text for r in recs] == [
        "We will build a great wall.",
        "Mr. Smith agrees with me today.",
        "Nobody builds walls like me, believe me.",
        "Second paragraph of my answer here.",
    ]
    first = recs[0]
    assert (first.statement_date, first.statement_type, first.external_id.split(":")[1]) == (
        dt.datetime(2015, 6, 16, 11),
        "interview",
        "2.1",
    )
    assert first.meta == {"doc": spoken, "completeness": "Complete", "version": "As spoken"}
    assert [i for i in items if isinstance(i, Skip)] == [
        Skip(f"{spoken}#2.0", "outside 3..107 words"),
        Skip(written, "as-written duplicate of an as-spoken transcript"),
    ]
    assert [(r.location, r.reason) for r in items if isinstance(r, Reject)] == [
        ("notes.txt", "file name is not 'YYYY-MM-DD HH.MM.SS (Completeness, Version) Genre, title.txt'"),
        ("2015-06-17 00.00.00 (Partial) Speech, NH.txt", "invalid UTF-8"),
    ]


def test_utterance_split_keeps_paragraphs() -> None:
    cfg = IngestConfig.model_validate({"transcripts": {"split": "utterance", "min_words": 1}})
    items = list(parse_rally_speeches([("TulsaJun20_2020.txt", b"One. Two three.\nFour five six.")], config=cfg))
    assert [i.text for i in items if isinstance(i, StatementRecord)] == ["One. Two three.", "Four five six."]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BattleCreekDec19_2019.txt", (dt.datetime(2019, 12, 19), "Battle Creek")),
        ("ColoradorSpringsFeb20_2020.txt", (dt.datetime(2020, 2, 20), "Colorado Springs")),
        ("Winston-SalemSep8_2020.txt", (dt.datetime(2020, 9, 8), "Winston-Salem")),
        ("TulsaJun31_2020.txt", None),
        ("speech.txt", None),
    ],
)
def test_rally_date(name: str, expected: object) -> None:
    assert rally_date(name) == expected


def test_miller_center_labels_and_types() -> None:
    name = "Trump_speech_25_September 25, 2019: Press Conference.txt"
    text = b"THE PRESIDENT:  Thank you all for being here today.\nQ:  Mr. President, a question for you?\nTHE PRESIDENT:  We had a tremendous three days."
    recs = [i for i in parse_miller_center([(name, text)], config=CFG) if isinstance(i, StatementRecord)]
    assert [(r.text, r.statement_type, r.statement_date) for r in recs] == [
        ("Thank you all for being here today.", "press_conference", dt.datetime(2019, 9, 25)),
        ("We had a tremendous three days.", "press_conference", dt.datetime(2019, 9, 25)),
    ]
    assert miller_type("Campaign Rally in Tulsa, Oklahoma") == "rally"
    assert miller_type("Farewell Address") == "speech"


@pytest.mark.shared_data
def test_real_transcripts_have_dates_and_no_rejects(shared_data: Path) -> None:
    cfg = IngestConfig()
    for folder, parse, n_files in [
        ("trump_rally_speeches_2019_2020/speeches", parse_rally_speeches, 35),
        ("miller_center_trump_presidential_speeches/txt", parse_miller_center, 32),
    ]:
        files = [(p.name, p.read_bytes()) for p in sorted((shared_data / folder).glob("*.txt"))]
        items = list(parse(files, config=cfg))
        recs = [i for i in items if isinstance(i, StatementRecord)]
        assert len(files) == n_files and not [i for i in items if isinstance(i, Reject)]
        assert len({r.meta["doc"] for r in recs if r.meta}) == n_files
        assert all(7 <= len(r.text.split()) <= 107 and r.statement_date for r in recs)
