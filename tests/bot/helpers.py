"""A store ready for the bot: a tiny registered model (thresholds chosen by the test), test-split buckets, statements."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie_db.queries.evaluate import replace_buckets
from deep_classiflie_db.queries.ingest import ensure_source, insert_statements
from deep_classiflie_db.queries.models import register_model_version
from deep_classiflie_db.schema import statements

T0 = dt.datetime(2021, 1, 1)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082"
)


def register_tiny_model(
    engine: Engine, trained: Path, tmp: Path, *, threshold: float = 0.0, name: str = "tiny-bot-model"
) -> dict[str, Any]:
    """A copy of the trained tiny model with ``threshold`` for every type, registered (the newest = active)."""
    folder = tmp / name
    shutil.copytree(trained, folder)
    (folder / "thresholds.json").write_text(json.dumps({"thresholds": {"tweet": threshold, "non_tweet": threshold}}))
    mv = register_model_version(
        engine,
        name=name,
        kind="head_on_cached_features",
        task="falsehood_binary",
        encoder="tiny",
        path=str(folder),
        weights_sha256="0" * 64,
        config={},
        dataset_collection_id=None,
    )
    return {"id": mv, "name": name, "path": folder}


def store_buckets(engine: Engine, model_version_id: int, *, ppv: dict[str, float] | None = None, n: int = 100) -> None:
    """One test-split bucket per scope covering every confidence, with the given PPV per scope."""
    ppv = {"all": 0.99, "tweet": 0.99, "non_tweet": 0.99, **(ppv or {})}
    rows = [
        {
            "scope": scope,
            "bucket": 1,
            "n": n,
            "min_confidence": 0.5,
            "max_confidence": 1.0,
            "accuracy": 0.9,
            "ppv": value,
            "npv": 0.9,
        }
        for scope, value in ppv.items()
    ]
    with engine.begin() as conn:
        replace_buckets(conn, model_version_id=model_version_id, collection_id=None, split="test", rows=rows)


def add_statements(
    engine: Engine,
    texts: list[str],
    *,
    source: str = "tweets_live",
    stype: str = "tweet",
    start: dt.datetime = T0,
    retweet: bool = False,
) -> list[int]:
    """Store statements of a source (one a day from ``start``); returns their ids."""
    with engine.begin() as conn:
        src = ensure_source(conn, name=source, kind="statement_stream")
        base = conn.execute(sa.select(sa.func.count()).select_from(statements)).scalar_one()
        rows = [
            {
                "source_id": src,
                "external_id": f"{source}-{base + i}",
                "text": text,
                "text_hash": f"{base + i:064d}",
                "statement_date": start + dt.timedelta(days=i),
                "statement_type": stype,
                "word_count": len(text.split()),
                "is_retweet": retweet,
            }
            for i, text in enumerate(texts)
        ]
        insert_statements(conn, rows)
        found = conn.execute(
            sa.select(statements.c.id)
            .where(statements.c.source_id == src)
            .order_by(statements.c.id.desc())
            .limit(len(texts))
        ).scalars()
        return sorted(int(i) for i in found)


def bot_config(tmp: Path, **bot: Any) -> Config:
    """A config whose bot reads only ``tweets_live`` statements already stored (no ingest), text-only posts."""
    section: dict[str, Any] = {
        "sources": [],
        "analyse_sources": ["tweets_live"],
        "card": "none",
        "retry": {"initial_s": 0.01, "max_s": 0.05, "jitter_s": 0.01, "timeout_s": 2, "connect_timeout_s": 1},
        "rule": {"min_bucket_n": 20},
    }
    section.update(bot)
    return Config.model_validate(
        {"paths": {"data_dir": str(tmp / "dc"), "runs_dir": str(tmp / "runs")}, "bot": section}
    )
