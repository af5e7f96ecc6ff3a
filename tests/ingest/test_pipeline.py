"""The generic writer on SQLite and MariaDB: counts, idempotency, labels, rejects, skips, failed runs."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie.core.text import text_hash
from deep_classiflie_db.ingest.pipeline import (
    LabelRecord,
    Reject,
    Skip,
    SourceSpec,
    StatementRecord,
    prepare,
    run_ingest,
    this_owner,
)
from deep_classiflie_db.queries import ingest as q
from deep_classiflie_db.schema import fact_check_labels, ingest_runs, rejects, speakers, statements
from tests.ingest.helpers import stored_statements

SPEC = SourceSpec("unit", "label_source", "test source")
UTC2 = dt.timezone(dt.timedelta(hours=2))


def records() -> list[StatementRecord | Reject | Skip]:
    return [
        StatementRecord(
            "a",
            "We are the HIGHEST taxed nation &amp; more",
            dt.datetime(2018, 1, 2, 3, 4, 5, 6),
            "tweet",
            meta={"k": 1},
            speaker="Donald Trump",
            label=LabelRecord(
                "cnn",
                "false",
                1,
                correction="No.\tIt is\nnot \\N",
                url="http://x",
                labelled_at=dt.datetime(2018, 1, 3, 1, tzinfo=UTC2),
            ),
        ),
        StatementRecord("b", "Second statement here", dt.datetime(2019, 5, 1, 12, tzinfo=UTC2), "speech"),
        StatementRecord("c", "  https://t.co/only ", None, "tweet"),  # empty once URLs go
        StatementRecord("d", "RT @x: not ours", None, "tweet", is_retweet=True),
        Reject("f.csv:7", "unparseable date 'x'", "raw,line"),
        Skip("doc#1.0", "outside 7..107 words"),
    ]


@pytest.mark.parametrize("in_child", [False, True], ids=["inline", "child"])
def test_writes_rows_labels_rejects_and_counts(engine: Engine, in_child: bool) -> None:
    report = run_ingest(
        engine,
        source=SPEC,
        records=records(),
        config=IngestConfig(batch_size=2),
        location="/x/f.csv",
        parse_in_child=in_child,
    )
    assert (report.read, report.inserted, report.duplicate, report.rejected, report.skipped) == (6, 2, 0, 2, 2)
    assert report.labels_inserted == 1
    assert report.skipped_by_reason == {"retweet": 1, "outside 7..107 words": 1}
    assert report.watermark == "2019-05-01T10:00:00"  # naive UTC
    assert stored_statements(engine) == [
        ("a", "We are the HIGHEST taxed nation & more", text_hash("We are the HIGHEST taxed nation & more"),
         dt.datetime(2018, 1, 2, 3, 4, 5, 6), "tweet", 8, False, {"k": 1}),
        ("b", "Second statement here", text_hash("Second statement here"), dt.datetime(2019, 5, 1, 10), "speech", 3,
         False, None),
    ]  # fmt: skip
    with engine.connect() as conn:
        label = conn.execute(sa.select(fact_check_labels)).one()._mapping
        assert (label["rating_source"], label["source_label"], label["label_class"]) == ("cnn", "false", 1)
        # tabs, newlines and a literal \N survive LOAD DATA's escaping; the date is stored as naive UTC
        assert (label["correction"], label["labelled_at"]) == ("No.\tIt is\nnot \\N", dt.datetime(2018, 1, 2, 23))
        assert conn.execute(sa.select(speakers.c.name)).scalars().all() == ["Donald Trump"]
        got = {(r.location, r.reason, r.raw) for r in conn.execute(sa.select(rejects))}
        assert got == {
            ("f.csv:7", "unparseable date 'x'", "raw,line"),
            ("f.csv:c", "empty text after normalisation", "  https://t.co/only "),
        }
        run = conn.execute(sa.select(ingest_runs)).one()._mapping
        assert (run["status"], run["n_read"], run["n_inserted"], run["n_rejected"]) == ("ok", 6, 2, 2)
        assert "skipped 1 (retweet)" in run["message"]


def test_rerun_inserts_nothing(engine: Engine) -> None:
    first = run_ingest(engine, source=SPEC, records=records(), config=IngestConfig())
    again = run_ingest(engine, source=SPEC, records=records(), config=IngestConfig())
    assert (again.inserted, again.duplicate, again.labels_inserted) == (0, 2, 0)
    assert first.run_id != again.run_id
    assert len(stored_statements(engine)) == 2


def test_retweets_kept_when_configured(engine: Engine) -> None:
    cfg = IngestConfig.model_validate({"tweets": {"exclude_retweets": False}})
    report = run_ingest(engine, source=SPEC, records=records(), config=cfg)
    assert report.inserted == 3
    assert ("d", True) in {(r[0], r[6]) for r in stored_statements(engine)}


def test_executemany_fallback_on_mariadb_too(engine: Engine) -> None:
    cfg = IngestConfig(mariadb_bulk="executemany")
    assert run_ingest(engine, source=SPEC, records=records(), config=cfg).inserted == 2


@pytest.mark.parametrize("in_child", [False, True], ids=["inline", "child"])
def test_failed_parser_marks_run_failed_and_writes_nothing(engine: Engine, in_child: bool) -> None:
    def broken() -> Iterator[StatementRecord]:
        yield records()[0]  # type: ignore[misc]
        raise DataSourceError("bad file", hint="fix it")

    with pytest.raises(DataSourceError, match="bad file") as caught:
        run_ingest(engine, source=SPEC, records=broken(), config=IngestConfig(), parse_in_child=in_child)
    assert caught.value.hint == "fix it"  # the hint survives the trip from the parser process
    with engine.connect() as conn:
        assert conn.execute(sa.select(ingest_runs.c.status, ingest_runs.c.message)).one() == (
            "failed",
            "DataSourceError: bad file — fix it",
        )
        assert conn.execute(sa.select(sa.func.count()).select_from(statements)).scalar_one() == 0


def test_prepare_rejects_bad_ids_types_and_surrogates() -> None:
    cfg = IngestConfig()
    assert (
        prepare(StatementRecord("", "text", None, "tweet"), config=cfg)[1] == "external id must have 1..191 characters"
    )
    assert (
        prepare(StatementRecord("x", "text", None, "t" * 33), config=cfg)[1]
        == "statement type must have 1..32 characters"
    )
    assert (
        prepare(StatementRecord("x", "bad \ud800 text", None, "tweet"), config=cfg)[1]
        == "invalid Unicode (lone surrogate)"
    )
    row, why = prepare(StatementRecord("x", "fine text", None, "tweet"), config=cfg)
    assert why is None and row is not None and row[2:8] == ("x", "fine text", text_hash("fine text"), None, "tweet", 2)


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(engine: Engine) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with engine.begin() as conn:
        source_id = q.ensure_source(conn, name=SPEC.name, kind=SPEC.kind)
        gone = q.start_run(
            conn, source_id=source_id, location=None, sha256=None, owner=f"pid {dead.pid} on {socket.gethostname()}"
        )
        elsewhere = q.start_run(conn, source_id=source_id, location=None, sha256=None, owner="pid 1 on another-host")
        live = q.start_run(conn, source_id=source_id, location=None, sha256=None, owner=this_owner())
    run_ingest(engine, source=SPEC, records=records(), config=IngestConfig())
    with engine.connect() as conn:
        status = dict(conn.execute(sa.select(ingest_runs.c.id, ingest_runs.c.status)).all())
    # only the run whose process is known to be gone is closed; the others may still be working
    assert (status[gone], status[elsewhere], status[live]) == ("interrupted", "running", "running")
