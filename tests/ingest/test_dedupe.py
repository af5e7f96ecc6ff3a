"""Cross-source filters: one label per claim and date across the two Star lists, one copy of an event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.config.ingest import NormaliseConfig
from deep_classiflie.core.text import word_grams
from deep_classiflie_db.ingest.dedupe import same_event, skip_known_labels, stored_events
from deep_classiflie_db.ingest.records import LabelRecord, Skip, StatementRecord
from deep_classiflie_db.ingest.registry import import_source
from deep_classiflie_db.schema import fact_check_labels, sources, statements

HEADER = "number,date,place,claim,infact,slug,repeat,source,placecategory\n"
OLD = HEADER + (
    '1,1-20-2017,Speech,"""We are the highest taxed nation.""",No.,tax,no,http://s,Speeches\n'
    '2,1-21-2017,Twitter,"""Only in the old list, never in the new one.""",No.,x,no,http://s,Twitter\n'
)
NEW = HEADER + (
    '7,1-20-2017,Speech,"""We are the highest-taxed nation!""",No.,tax,no,http://s,Speeches\n'  # same as old 1
    '8,1-20-2017,Speech,"""We are the highest taxed nation.""",Also.,tax2,no,http://s,Speeches\n'  # repeat in file
    '9,2-20-2017,Speech,"""We are the highest taxed nation.""",No.,tax,Yes,http://s,Speeches\n'  # another day
    '10,7-20-2018,Interview,"""A claim the old list stops before.""",No.,y,no,http://s,Interviews\n'
)


def config(tmp: Path) -> Config:
    return Config.model_validate({"paths": {"shared_data": str(tmp)}})


def _labels(engine: Engine) -> dict[str, int]:
    query = (
        sa.select(sources.c.name, sa.func.count())
        .select_from(fact_check_labels.join(statements).join(sources))
        .group_by(sources.c.name)
    )
    with engine.connect() as conn:
        return {name: n for name, n in conn.execute(query)}


@pytest.mark.parametrize("first", ["toronto_star", "toronto_star_full"])
def test_the_two_star_lists_store_each_claim_and_date_once(engine: Engine, tmp_path: Path, first: str) -> None:
    (tmp_path / "liar.csv").write_text(OLD)
    (tmp_path / "claims.csv").write_text(NEW)
    paths = {"toronto_star": tmp_path / "liar.csv", "toronto_star_full": tmp_path / "claims.csv"}
    second = "toronto_star_full" if first == "toronto_star" else "toronto_star"
    cfg = config(tmp_path)
    one = import_source(engine, first, path=paths[first], config=cfg)
    two = import_source(engine, second, path=paths[second], config=cfg)
    # 4 distinct (day, claim) keys in all: old 1 = new 7 = new 8, old 2, new 9, new 10
    assert sum(_labels(engine).values()) == 4
    assert one.labels_inserted + two.labels_inserted == 4
    assert two.skipped_by_reason == {"same claim and date already labelled": 2 if first == "toronto_star" else 1}
    again = import_source(engine, second, path=paths[second], config=cfg)  # idempotent
    assert again.inserted == 0 and sum(_labels(engine).values()) == 4


def test_skip_known_labels_is_by_day_and_normalised_text() -> None:
    label = LabelRecord("toronto_star", "false", 1)
    rec = StatementRecord("5", "We are the “highest” taxed.", dt.datetime(2017, 1, 20, 15), "speech", label=label)
    other_day = StatementRecord("6", rec.text, dt.datetime(2017, 1, 21), "speech", label=label)
    from deep_classiflie_db.ingest.dedupe import label_key

    key = label_key(
        StatementRecord("1", 'We are the "highest" taxed.', dt.datetime(2017, 1, 20), "speech"), NormaliseConfig()
    )
    assert key is not None
    got = list(skip_known_labels([rec, other_day], {key: "toronto_star"}, rules=NormaliseConfig(), where="full"))
    assert got == [Skip("full:5 = toronto_star", "same claim and date already labelled"), other_day]


def test_same_event_matches_an_excerpt_within_days_only() -> None:
    long = " ".join(f"word{i}" for i in range(200))
    excerpt = " ".join(f"word{i}" for i in range(50, 90))
    events = stored_events([("factbase", "seg1", dt.datetime(2017, 2, 6), excerpt)])
    match = same_event(word_grams([long]), dt.date(2017, 2, 3), events, days=7, min_share=0.1)
    assert match is not None and match[0].doc == "seg1" and match[1] == 1.0  # share of the smaller (the excerpt)
    assert same_event(word_grams([long]), dt.date(2017, 3, 3), events, days=7, min_share=0.1) is None
    unrelated = " ".join(f"other{i}" for i in range(200))
    assert same_event(word_grams([unrelated]), dt.date(2017, 2, 3), events, days=7, min_share=0.1) is None


@pytest.mark.shared_data
def test_real_interviews_in_both_folders_are_stored_once(sqlite_engine: Engine, shared_data: Path) -> None:
    cfg = config(shared_data)
    fb = import_source(sqlite_engine, "factbase_interviews", path=None, config=cfg)
    app = import_source(sqlite_engine, "presidency_project", path=None, config=cfg)
    assert fb.inserted > 6000 and fb.rejected == 0
    assert app.skipped_by_reason["same event already stored from factbase_interviews"] > 1000
    query = (
        sa.select(statements.c.meta)
        .join(sources)
        .where(sources.c.name == "presidency_project", statements.c.statement_type == "interview")
    )
    with sqlite_engine.connect() as conn:
        docs = {m["doc"] for (m,) in conn.execute(query)}
    assert len(docs) == 17 - 13  # the 13 interviews factba.se also holds are not stored twice
