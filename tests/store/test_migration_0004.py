"""Revision 0004 adds model_versions.thresholds / head_features; existing model versions survive both ways."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from deep_classiflie_db import migrate


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("model_versions")}


def test_0004_keeps_model_versions_and_downgrades(engine: Engine) -> None:
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    assert not {"thresholds", "head_features"} & _columns(engine)
    row = {
        "name": "old",
        "kind": "head_on_cached_features",
        "task": "falsehood_binary",
        "encoder": "tiny",
        "path": "/m",
        "weights_sha256": "0" * 64,
        "config": "{}",
        "created_at": dt.datetime(2020, 1, 1),
    }
    table = sa.table("model_versions", *(sa.column(k) for k in row))
    with engine.begin() as conn:
        conn.execute(table.insert().values(**row))
    migrate.upgrade(engine)
    assert {"thresholds", "head_features"} <= _columns(engine)
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT name, thresholds, head_features FROM model_versions")).all()
    assert [tuple(r) for r in got] == [("old", None, None)]  # NULL: 0.5 and the encoder's vector only
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM model_versions")).scalars().all() == ["old"]
    migrate.upgrade(engine)
