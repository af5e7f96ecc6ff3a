"""Rejects are stored once per input (source + line hash); LIAR counts that are not numbers are rejects;
``ingest status`` shows the newest stored statement, not the last run's watermark."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie_db.ingest.benchmarks import parse_liar
from deep_classiflie_db.ingest.records import Reject, StatementRecord
from deep_classiflie_db.ingest.registry import import_source
from deep_classiflie_db.queries.ingest import source_status
from deep_classiflie_db.schema import ingest_runs, rejects

ROW = "{id}.json\tfalse\tSays things.\ttaxes\tsomeone\tjob\tTexas\trepublican\t{a}\t1\t0\t0\t0\ta mailer\n"


@pytest.mark.parametrize("count", ["NaN", "abc", "1.5", "-1", "²"])
def test_liar_count_that_is_not_a_number_is_a_reject(count: str) -> None:
    (item,) = parse_liar(ROW.format(id=1, a=count).encode(), config=IngestConfig(), name="train.tsv")
    assert item == Reject(
        "train.tsv:1",
        f"credit-history count barely_true_count is not a number: {count!r}",
        ROW.format(id=1, a=count),
    )


def test_liar_empty_count_is_unknown() -> None:
    (item,) = parse_liar(ROW.format(id=1, a="").encode(), config=IngestConfig(), name="train.tsv")
    assert isinstance(item, StatementRecord) and item.meta["barely_true_count"] is None


def _count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_rerun_records_rejects_once(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "train.tsv"
    path.write_text(ROW.format(id=1, a="0") + ROW.format(id=2, a="NaN") + "x\tbogus\n", encoding="utf-8")
    config = Config()
    first = import_source(engine, "liar", path=path, config=config)
    second = import_source(engine, "liar", path=path, config=config)
    assert (first.inserted, first.rejected) == (1, 2)
    assert (second.inserted, second.rejected) == (0, 2)  # the run still counts what it rejected
    assert _count(engine, rejects) == 2  # … but stores each rejected line once
    with engine.connect() as conn:
        assert sorted(conn.execute(sa.select(ingest_runs.c.n_rejected)).scalars()) == [2, 2]
    # a new bad line in the same file is a new reject
    path.write_text(path.read_text(encoding="utf-8") + ROW.format(id=3, a="abc"), encoding="utf-8")
    assert import_source(engine, "liar", path=path, config=config).rejected == 3
    assert _count(engine, rejects) == 3


TWEETS = '[{{"id_str": "{id}", "text": "tweet {id} about things", "created_at": "{date}", "is_retweet": false}}]'


def test_status_shows_newest_stored_statement(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "tweets"
    folder.mkdir()
    config = Config()
    (folder / "condensed_2019.json").write_text(
        TWEETS.format(id=2, date="Wed Nov 13 12:00:00 +0000 2019"), encoding="utf-8"
    )
    import_source(engine, "tweets", path=folder, config=config)
    (folder / "condensed_2019.json").unlink()
    (folder / "condensed_2009.json").write_text(
        TWEETS.format(id=1, date="Wed Dec 23 12:00:00 +0000 2009"), encoding="utf-8"
    )
    import_source(engine, "tweets", path=folder, config=config)
    (row,) = [r for r in source_status(engine) if r["name"] == "tweets"]
    assert str(row["newest"])[:10] == "2019-11-13"  # what is stored
    assert str(row["watermark"])[:10] == "2009-12-23"  # what the last run read
