"""Live transcripts → store: JSON index + HTML pages on a local server, speaker filtering, splitting, re-runs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.config.scrape import TranscriptsLiveConfig
from deep_classiflie.core.text import word_count
from deep_classiflie_db.queries.ingest import last_watermark
from deep_classiflie_db.schema import rejects, speakers, statements
from deep_classiflie_db.scrapers.registry import SCRAPERS
from deep_classiflie_db.scrapers.transcripts import Turn, index_entries, page_turns, split_statements, target_turns
from tests.scrapers.server import FIXTURES, FixtureServer, Reply

INDEX = "/json/json-transcript.php"
SPEAKER_LABELS = ["DONALD TRUMP", "TRUMP"]


def serve_site(server: FixtureServer) -> None:
    server.file("/robots.txt", "transcripts/robots.txt")
    server.file(INDEX, "transcripts/index_p1.json", query={"p": "1"})
    server.file(INDEX, "transcripts/index_p2.json", query={"p": "2"})
    for slug in ("t101-remarks", "t102-interview", "t103-rally-speech", "t104-press-conference", "blocked-t100"):
        server.file(f"/transcript/{slug}", f"transcripts/{slug if slug != 'blocked-t100' else 't101-remarks'}.html")


def transcript_hits(server: FixtureServer) -> list[str]:
    return [s.path.rsplit("/", 1)[1] for s in server.seen if s.path.startswith("/transcript/")]


def stored(engine: Engine) -> dict[str, tuple[str, str, int]]:
    query = sa.select(statements.c.external_id, statements.c.statement_type, statements.c.text, statements.c.word_count)
    with engine.connect() as conn:
        return {r.external_id: (r.statement_type, r.text, r.word_count) for r in conn.execute(query)}


def test_full_run_keeps_the_speakers_statements(engine: Engine, server: FixtureServer, live_config: Config) -> None:
    serve_site(server)
    report = SCRAPERS["transcripts_live"](engine, live_config)

    rows = stored(engine)
    assert set(rows) == {"101:0:0", "101:1:0", "102:0:0", "102:1:0", "103:0:0", "103:2:0", "103:2:1"}
    assert {rows[k][0] for k in rows} == {"remarks", "interview", "speech"}
    assert rows["102:0:0"][0] == "interview" and rows["101:0:0"][0] == "remarks"  # page type, else the index's
    assert all(7 <= n <= 107 for _, _, n in rows.values())
    assert "[Applause]" not in rows["103:0:0"][1]
    assert not any("Four more years" in text or "Mr. President" in text for _, text, _ in rows.values())
    # the 125-word turn is split at a sentence end into two statements
    assert rows["103:2:0"][1].endswith(".") and rows["103:2:1"][1].startswith("Wages are rising")
    # Audience, Interviewer x2, and the two-word "Thank you." turn
    assert report.skipped == 4
    with engine.connect() as conn:
        reasons = [r.reason for r in conn.execute(sa.select(rejects.c.reason))]
        names = [r.name for r in conn.execute(sa.select(speakers.c.name))]
    assert len(reasons) == 2
    assert any("robots.txt" in r for r in reasons) and any("lacks id, ISO date" in r for r in reasons)
    assert names == ["Donald Trump"]
    assert sorted(transcript_hits(server)) == ["t101-remarks", "t102-interview", "t103-rally-speech"]
    assert last_watermark(engine, source_name="transcripts_live") == "2020-01-15T14:05:00"


def test_rerun_fetches_only_new_transcripts(engine: Engine, server: FixtureServer, live_config: Config) -> None:
    serve_site(server)
    SCRAPERS["transcripts_live"](engine, live_config)
    server.file(INDEX, "transcripts/index_v2_p1.json", query={"p": "1"})
    server.reset_log()

    report = SCRAPERS["transcripts_live"](engine, live_config)

    assert server.hits(INDEX) == 1
    assert transcript_hits(server) == ["t104-press-conference"]
    assert report.inserted == 1
    assert stored(engine)["104:0:0"][0] == "press_conference"
    assert last_watermark(engine, source_name="transcripts_live") == "2020-01-20T16:00:00"


def test_transient_failure_stops_at_the_failed_transcript_and_resumes(
    engine: Engine, server: FixtureServer, live_config: Config
) -> None:
    serve_site(server)
    server.add("/transcript/t102-interview", Reply(status=500, file="common/error_500.html"))
    first = SCRAPERS["transcripts_live"](engine, live_config)

    # oldest first: t101 read, t102 failed three times, t103 left for the next run
    assert transcript_hits(server) == ["t101-remarks", *["t102-interview"] * 3]
    assert first.inserted == 2
    assert last_watermark(engine, source_name="transcripts_live") == "2020-01-05T09:30:00"

    server.file("/transcript/t102-interview", "transcripts/t102-interview.html")
    server.reset_log()
    second = SCRAPERS["transcripts_live"](engine, live_config)
    assert transcript_hits(server) == ["t102-interview", "t103-rally-speech"]
    assert second.inserted == 5
    assert last_watermark(engine, source_name="transcripts_live") == "2020-01-15T14:05:00"


# ---------------------------------------------------------------- pure parsing


def test_page_turns_reads_speakers_text_and_type() -> None:
    html = (FIXTURES / "transcripts" / "t102-interview.html").read_text(encoding="utf-8")
    turns, kind = page_turns(html, TranscriptsLiveConfig())
    assert kind == "Interview"
    assert [t.speaker for t in turns] == ["Interviewer", "Donald Trump:", "Interviewer", "DONALD TRUMP"]
    assert [t.speaker for t in target_turns(turns, SPEAKER_LABELS)] == ["Donald Trump:", "DONALD TRUMP"]


def test_unmarked_turns_are_all_kept() -> None:
    turns = [Turn(None, "one"), Turn(None, "two")]
    assert target_turns(turns, SPEAKER_LABELS) == turns


@pytest.mark.parametrize(
    ("text", "min_words", "max_words", "expected"),
    [
        ("one two three four five six seven", 7, 107, ["one two three four five six seven"]),
        ("too short here", 7, 107, []),
        ("Aa bb cc. Dd ee ff. Gg hh ii.", 3, 6, ["Aa bb cc. Dd ee ff.", "Gg hh ii."]),
        ("Aa bb cc dd ee ff gg hh. Ii jj kk.", 3, 6, ["Ii jj kk."]),
        ("Aa bb cc. Dd! Ee ff gg hh ii jj?", 3, 6, ["Aa bb cc. Dd!", "Ee ff gg hh ii jj?"]),
    ],
    ids=["fits", "too-short", "packed", "overlong-sentence-dropped", "question-and-exclamation"],
)
def test_split_statements(text: str, min_words: int, max_words: int, expected: list[str]) -> None:
    out = split_statements(text, min_words=min_words, max_words=max_words)
    assert out == expected
    assert all(min_words <= word_count(s) <= max_words for s in out)


def test_index_entries_resolve_slugs_and_reject_undated() -> None:
    import json

    payload = json.loads((FIXTURES / "transcripts" / "index_p2.json").read_text(encoding="utf-8"))
    cfg = TranscriptsLiveConfig(transcript_base_url="https://factba.se/transcript/")
    entries, pages = index_entries(payload, cfg=cfg, where="index p2")
    assert pages == 2
    assert [getattr(e, "url", None) for e in entries[:2]] == [
        "https://factba.se/transcript/t101-remarks",
        "https://factba.se/transcript/blocked-t100",
    ]
    assert getattr(entries[2], "reason", "") == "index entry lacks id, ISO date or url/slug"
