"""Ingest speed: every shared statement source into a fresh SQLite and a fresh MariaDB store.

rows/s = statement rows written (inserted) per wall-clock second of the whole import, parsing included.
Side by side, the usual alternative: the same parsed rows written through SQLAlchemy Core
``executemany`` (``conn.execute(insert, [dicts])``), one transaction per batch, on the tweets.

    .venv/bin/python bench/ingest.py [--shared ../shared/data] [--mariadb mysql+mysqlconnector://root@127.0.0.1:3306]

The last line is ``RESULT sqlite_rows_per_s=… mariadb_rows_per_s=…``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.ingest.pipeline import StatementRecord, prepare
from deep_classiflie_db.ingest.registry import SOURCES, import_source, read_files, resolve_path
from deep_classiflie_db.queries.bulk import insert_ignore
from deep_classiflie_db.queries.ingest import ensure_source, start_run
from deep_classiflie_db.schema import statements

BENCH_SOURCES = [
    "toronto_star",
    "cnn",
    "tweets",
    "campaign_corpus",
    "rally_speeches",
    "miller_center",
    "liar",
    "mediaeval",
    "fakenewsnet",
]


def import_all(engine: Engine, config: Config) -> tuple[int, int, float, dict[str, float]]:
    """(statements inserted, inputs read, seconds, rows/s per source) for every bench source."""
    inserted = read = 0
    rates: dict[str, float] = {}
    start = time.perf_counter()
    for name in BENCH_SOURCES:
        report = import_source(engine, name, path=None, config=config)
        inserted += report.inserted
        read += report.read
        rates[name] = report.inserted / report.seconds
        print(
            f"  {name:16} {report.inserted:>7} rows  {report.seconds:6.2f} s  {report.inserted / report.seconds:>8.0f} rows/s"
        )
    return inserted, read, time.perf_counter() - start, rates


def naive_tweets(engine: Engine, config: Config) -> tuple[int, float]:
    """The tweets parsed and prepared as above, written with SQLAlchemy Core executemany per batch."""
    start = time.perf_counter()
    source = SOURCES["tweets"]
    files, _ = read_files(resolve_path("tweets", None, config), source.pattern)
    with engine.begin() as conn:
        source_id = ensure_source(conn, name="tweets_naive", kind="statement_stream")
        run_id = start_run(conn, source_id=source_id, location=None, sha256=None)
    batch: list[dict[str, object]] = []
    n = 0
    keys = ["source_id", "speaker_id", "external_id", "text", "text_hash", "statement_date", "statement_type"]
    keys += ["word_count", "is_retweet", "meta", "ingest_run_id"]

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(insert_ignore(statements), batch)
        batch.clear()

    for item in source.parse(files, config=config.ingest):
        if not isinstance(item, StatementRecord) or item.is_retweet:
            continue
        row, _ = prepare(item, config=config.ingest)
        if row is None:
            continue
        values = dict(zip(keys, row, strict=True))
        values.update(source_id=source_id, ingest_run_id=run_id, meta=json.loads(row[9]) if row[9] else None)
        batch.append(values)
        n += 1
        if len(batch) >= config.ingest.batch_size:
            flush()
    if batch:
        flush()
    return n, time.perf_counter() - start


def bench(engine: Engine, config: Config, label: str) -> float:
    """Run the import and the naive alternative on ``engine``; returns the import's rows/s."""
    migrate.upgrade(engine)
    print(f"{label}: import of all shared statement sources")
    inserted, read, seconds, rates = import_all(engine, config)
    rate = inserted / seconds
    print(f"{label}: {inserted} rows ({read} inputs read) in {seconds:.2f} s = {rate:.0f} rows/s")
    again = import_source(engine, "tweets", path=None, config=config)  # every row a duplicate now
    print(f"{label}: re-run of tweets, all duplicates: {again.read / again.seconds:.0f} inputs/s")
    n, naive_s = naive_tweets(engine, config)
    naive = n / naive_s
    print(
        f"{label}: tweets side by side: this importer {rates['tweets']:.0f} rows/s, "
        f"SQLAlchemy executemany {naive:.0f} rows/s, ratio {rates['tweets'] / naive:.2f}x"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--mariadb", default="mysql+mysqlconnector://root@127.0.0.1:3306")
    args = parser.parse_args()
    config = Config.model_validate({"paths": {"shared_data": str(args.shared)}})

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        sqlite_rate = bench(engine, config, "sqlite")
        engine.dispose()

    name = f"dc_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(f"{args.mariadb}/mysql")
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    try:
        engine = make_engine(f"{args.mariadb}/{name}")
        mariadb_rate = bench(engine, config, "mariadb")
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()
    print(f"RESULT sqlite_rows_per_s={sqlite_rate:.0f} mariadb_rows_per_s={mariadb_rate:.0f}")


if __name__ == "__main__":
    main()
