"""0008 (rejects once per input) keeps a store's rejects through upgrade and downgrade, on both engines."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from deep_classiflie_db import migrate
from deep_classiflie_db.queries.ingest import reject_line_hash

OLD = {"id", "ingest_run_id", "location", "reason", "raw"}


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("rejects")}


def test_0008_keeps_rejects_both_ways(engine: Engine) -> None:
    _downgrade(engine, "0007")
    assert _columns(engine) == OLD
    now = dt.datetime(2026, 12, 1)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO sources (id, name, kind) VALUES (1, 'liar', 'benchmark')"))
        for run in (1, 2):  # the same file imported twice: its two bad lines stored twice before 0008
            conn.execute(
                sa.text("INSERT INTO ingest_runs (id, source_id, started_at, status) VALUES (:i, 1, :t, 'ok')"),
                {"i": run, "t": now},
            )
            conn.execute(
                sa.text("INSERT INTO rejects (ingest_run_id, location, reason, raw) VALUES (:r, :l, :w, :raw)"),
                [
                    {"r": run, "l": "train.tsv:2", "w": "bad count", "raw": "line two\n"},
                    {"r": run, "l": "train.tsv:3", "w": "bad label", "raw": None},
                ],
            )
    migrate.upgrade(engine)
    assert _columns(engine) == OLD | {"source_id", "line_hash"}
    query = sa.text("SELECT ingest_run_id, location, source_id, line_hash FROM rejects ORDER BY id")
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    # the first of each repeated (source, line) stays, filled in; the repeats of run 2 are folded into it
    assert rows == [
        (1, "train.tsv:2", 1, reject_line_hash("train.tsv:2", "line two\n")),
        (1, "train.tsv:3", 1, reject_line_hash("train.tsv:3", None)),
    ]
    _downgrade(engine, "0007")
    assert _columns(engine) == OLD
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT location FROM rejects ORDER BY id")).scalars().all() == [
            "train.tsv:2",
            "train.tsv:3",
        ]
    migrate.upgrade(engine)
    migrate.require_current(engine)
