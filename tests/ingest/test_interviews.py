"""The 2017-18 transcript importers (factba.se, Presidency Project, Miller Center 2017-18) and chunking."""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter
from pathlib import Path

import pytest

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie_db.ingest.interviews import app_paragraphs, label_style, parse_factbase, parse_presidency_project
from deep_classiflie_db.ingest.records import Reject, Skip, StatementRecord
from deep_classiflie_db.ingest.transcripts import parse_miller_2017_2018, split_chunks

CFG = IngestConfig.model_validate({"transcripts": {"min_words": 3, "chunk_words": [6]}})
TXT = "\n".join(
    [
        "<Jane Host> <Neutral> Welcome, Mr. President, to the show tonight.",  # 1
        "<Donald Trump> <Positive> Thank you Jane. We are doing great things. The economy is booming now.",  # 2
        "<Other Host> <Neutral> Another interview interleaved here.",  # 3
        "<Donald Trump> <Negative> [Begin Clip] An old clip of me talking about walls. [End Clip]",  # 4
        "<Donald Trump> <Negative> Nobody has done more for jobs than me, believe me. [Crosstalk]",  # 5
        "<Donald Trump> <Positive> Not in the manifest range at all, so never read.",  # 6
    ]
).encode()
MANIFEST = b"""file,segment,date,date_method,star_numbers,claim_lines,star_place
trump_interview_1.txt,1-5,2018-10-14,star_claim_match,3001,5,Interview with Jane
trump_interview_1.txt,2-2,2018-10-20,star_claim_match,,,Repeat of the same turn
missing.txt,1-3,2018-10-14,star_claim_match,,,
trump_interview_1.txt,1-3,10/14/2018,star_claim_match,,,
"""


def records(items: list) -> list[StatementRecord]:
    return [i for i in items if isinstance(i, StatementRecord)]


def test_factbase_reads_only_trump_turns_of_manifest_segments() -> None:
    items = list(
        parse_factbase([("manifest.csv", MANIFEST), ("trump_interview_1.txt", TXT), ("SOURCE.txt", b"x")], config=CFG)
    )
    recs = records(items)
    assert [r.text for r in recs] == [
        # runs of whole sentences of >= 6 words; the short tail joins the run before it
        "Thank you Jane. We are doing great things. The economy is booming now.",
        "Nobody has done more for jobs than me, believe me.",  # the clip (line 4) and [Crosstalk] left out
    ]
    assert {r.statement_date for r in recs} == {dt.datetime(2018, 10, 14)}
    assert {r.statement_type for r in recs} == {"interview"}
    assert recs[1].meta == {
        "doc": "trump_interview_1.txt:1-5", "segment": "1-5", "place": "Interview with Jane",
        "origin": "factba.se", "star_numbers": [3001],
    }  # fmt: skip
    assert "star_numbers" not in (recs[0].meta or {})
    reasons = Counter(i.reason for i in items if isinstance(i, Skip))
    # line 2 again in the second segment: the same interview filed twice is read once
    assert reasons["turn already read from another segment (same interview filed twice)"] == 1
    assert reasons["not a transcript named in manifest.csv"] == 1  # SOURCE.txt
    rejects = [i.reason for i in items if isinstance(i, Reject)]
    assert rejects == ["file 'missing.txt' not found", "unparseable date '10/14/2018' (expected YYYY-MM-DD)"]


def test_factbase_needs_its_manifest() -> None:
    from deep_classiflie.core.errors import DataSourceError

    with pytest.raises(DataSourceError, match=r"manifest\.csv"):
        list(parse_factbase([("trump_interview_1.txt", TXT)], config=CFG))


def _doc(kind: str, text: str, date: str = "2017-07-13") -> bytes:
    return json.dumps(
        {"id": f"{kind}-{date}", "kind": kind, "date": date, "title": "t", "url": "u", "text": text}
    ).encode()


def test_presidency_project_three_label_styles() -> None:
    colon = "Pace: What about the 100 days?\n,The President: We did more than anyone.\n,Pace: Really?\n,And yet the polls.\n,The President: The polls are fake, believe me."
    period = "Our nations are great friends forever.  Prime Minister May. Thank you so much, Mr. President.  Q. A question for the President?  President Trump. We have a great relationship with them.  [Laughter]"
    caps = "Thank you, Donald, for coming to Paris. PRESIDENT TRUMP: Well thank you very much, Emmanuel. Q: Mr. President, on Russia? PRESIDENT MACRON: We agree on that. PRESDIDENT TRUMP: We agree on a lot."
    weekly = "My fellow Americans, this week was great.\n,[Applause]\n,God bless you all and America."
    lines = [
        _doc("interview", colon),
        _doc("news_conference", period),
        _doc("news_conference", caps, "2017-07-14"),
        _doc("weekly_address", weekly),
        b"{bad",
        _doc("podcast", "x"),
    ]
    items = list(parse_presidency_project([("documents.jsonl", b"\n".join(lines))], config=CFG))
    got = [(r.statement_type, r.text) for r in records(items)]
    assert got == [
        ("interview", "We did more than anyone."),
        ("interview", "The polls are fake, believe me."),
        ("press_conference", "Our nations are great friends forever."),  # unlabelled opening: Trump's (APP style)
        ("press_conference", "We have a great relationship with them."),
        ("press_conference", "Well thank you very much, Emmanuel."),  # Macron's unlabelled opening left out
        ("press_conference", "We agree on a lot."),  # the misspelt label too
        ("weekly_address", "My fellow Americans, this week was great."),
        ("weekly_address", "God bless you all and America."),
    ]
    assert [r.reason for r in items if isinstance(r, Reject)][
        1
    ] == "unknown kind 'podcast' (expected interview, weekly_address, news_conference)"
    assert len({r.external_id for r in records(items)}) == len(got)
    assert label_style(app_paragraphs(caps, "news_conference")) == "caps"


def test_miller_2017_2018_names_and_header() -> None:
    text = b"President: Donald Trump\n\nTRUMP: Thank you, everybody, thrilled to be here.\n\nCROWD: USA! USA!\n\nTRUMP: You are the leaders of tomorrow, believe me.\n"
    items = list(
        parse_miller_2017_2018(
            [("2017-07-24-speech-boy-scout-jamboree.txt", text), ("jamboree.txt", b"x"),
             ("2017-01-20-inaugural-address.txt", b"President: Barack Obama\n\nHello.")],
            config=CFG,
        )
    )  # fmt: skip
    assert [(r.text, r.statement_type, r.statement_date) for r in records(items)] == [
        ("Thank you, everybody, thrilled to be here.", "speech", dt.datetime(2017, 7, 24)),
        ("You are the leaders of tomorrow, believe me.", "speech", dt.datetime(2017, 7, 24)),
    ]
    assert [i.reason for i in items if isinstance(i, Reject)] == ["file name is not 'YYYY-MM-DD-<slug>.txt'"]
    assert [i.reason for i in items if isinstance(i, Skip)] == ["a speech of Barack Obama, not Donald Trump"]


def test_split_chunks_keeps_whole_sentences_and_joins_a_short_tail() -> None:
    para = "One two three four. Five six seven eight. Nine ten. Eleven."
    assert split_chunks(para, targets=[4], max_words=100) == [
        ("0-0", "One two three four."),
        ("1-3", "Five six seven eight. Nine ten. Eleven."),  # the 3-word tail joins the run before it
    ]
    # a tail that would make the run before it too long stays on its own
    assert split_chunks(para, targets=[8], max_words=9) == [
        ("0-1", "One two three four. Five six seven eight."),
        ("2-3", "Nine ten. Eleven."),
    ]
    assert split_chunks(para, targets=[100], max_words=100) == [("0-3", para)]
    assert split_chunks(para, targets=[3, 5, 9], max_words=100, key="a") == split_chunks(
        para, targets=[3, 5, 9], max_words=100, key="a"
    )


@pytest.mark.shared_data
def test_real_2017_2018_transcripts(shared_data: Path) -> None:
    cfg = IngestConfig()
    fb = shared_data / "factbase_trump_interviews_2017_2018"
    files = [(p.name, p.read_bytes()) for p in sorted(fb.glob("**/*")) if p.is_file()]
    items = list(parse_factbase(files, config=cfg))
    recs = records(items)
    assert not [i for i in items if isinstance(i, Reject)]
    assert len({r.meta["doc"] for r in recs if r.meta}) == 92  # every dated segment
    assert dt.datetime(2017, 1, 26) <= min(r.statement_date for r in recs if r.statement_date)
    assert max(r.statement_date for r in recs if r.statement_date) <= dt.datetime(2018, 11, 30)
    words = [len(r.text.split()) for r in recs]
    assert 30 <= statistics.median(words) <= 45  # the Star claims' granularity (median 37), not sentences (18)
    assert sum(words) > 200_000  # most of the 263k Trump words of the segments
    assert sum(1 for r in recs if "star_numbers" in (r.meta or {})) >= 400
    app = (shared_data / "presidency_project_trump_2017_2018/documents.jsonl").read_bytes()
    items = list(parse_presidency_project([("documents.jsonl", app)], config=cfg))
    recs = records(items)
    assert not [i for i in items if isinstance(i, Reject)]
    assert len({r.meta["doc"] for r in recs if r.meta}) == 79
    assert Counter(r.statement_type for r in recs).keys() == {"interview", "weekly_address", "press_conference"}
    assert not [r for r in recs if r.text.startswith(("Q.", "Q:", "PRESIDENT MACRON", "Prime Minister May."))]
    mc = shared_data / "miller_center_trump_speeches_2017_2018/txt"
    items = list(parse_miller_2017_2018([(p.name, p.read_bytes()) for p in sorted(mc.glob("*.txt"))], config=cfg))
    assert not [i for i in items if isinstance(i, Reject)]
    assert len({r.meta["doc"] for r in records(items) if r.meta}) == 11
