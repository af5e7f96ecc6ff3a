"""Simple local parsing of the shared Trump data for benches: falsehood lists and tweets → rows / a store.

Not an importer (those live in ``deep_classiflie_db/ingest``): no thread stitching, no transcripts,
just enough to time the dataset stage on the real volumes.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from deep_classiflie.core.text import normalise, text_hash, word_count
from deep_classiflie_db.queries.bulk import insert_labels
from deep_classiflie_db.queries.ingest import (
    ensure_source,
    ensure_speaker,
    insert_statements,
    statement_ids,
)

TS_TYPES = {
    "Twitter": "tweet",
    "Speeches": "speech",
    "Interviews": "interview",
    "Press conferences or scrums": "remarks",
}
CNN_TYPES = {"TWEET": "tweet", "SPEECH": "speech", "RALLY": "rally", "INTERVIEW": "interview"}


def _row(ext: str, text: str, date: dt.datetime, stype: str, **extra: Any) -> dict[str, Any]:
    clean = normalise(text.strip().strip('"'))
    return {
        "external_id": ext,
        "text": clean,
        "text_hash": text_hash(clean),
        "statement_date": date,
        "statement_type": stype,
        "word_count": word_count(clean),
        **extra,
    }


def read_toronto_star(shared: Path) -> list[dict[str, Any]]:
    """Toronto Star false claims, with ``slug`` (same slug = the same claim restated) in meta."""
    out = []
    with open(shared / "toronto_star_trump_false_claims_2017_2018" / "liar.csv", encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            date = dt.datetime.strptime(rec["date"], "%m-%d-%Y")
            stype = TS_TYPES.get(rec["placecategory"], "remarks")
            meta = {"slug": rec["slug"], "repeat": rec["repeat"]}
            out.append(_row(rec["number"], rec["claim"], date, stype, meta=meta))
    return out


def read_cnn(shared: Path) -> list[dict[str, Any]]:
    """CNN false claims of 2019."""
    out = []
    with open(shared / "cnn_trump_false_claims_2019" / "fcheck_temp.csv", encoding="utf-8", newline="") as fh:
        for i, rec in enumerate(csv.DictReader(fh)):
            date = dt.datetime.strptime(rec["date"][:10], "%Y-%m-%d")
            out.append(_row(f"cnn-{i}", rec["claim"], date, CNN_TYPES.get(rec["kind_of_forum"], "remarks")))
    return out


def read_tweets(shared: Path, years: range = range(2016, 2020)) -> list[dict[str, Any]]:
    """Tweets of ``years`` (retweets flagged, not dropped)."""
    out = []
    for year in years:
        path = shared / "trump_tweets_condensed_2009_2019" / f"condensed_{year}.json"
        for tw in json.loads(path.read_text(encoding="utf-8")):
            date = (
                dt.datetime.strptime(tw["created_at"], "%a %b %d %H:%M:%S %z %Y")
                .astimezone(dt.UTC)
                .replace(tzinfo=None)
            )
            rt = bool(tw.get("is_retweet")) or tw["text"].startswith("RT @")
            out.append(_row(tw["id_str"], tw["text"], date, "tweet", is_retweet=rt))
    return [r for r in out if r["text"]]


def load_store(engine: Engine, shared: Path) -> dict[str, int]:
    """Fill an empty migrated store with both falsehood lists (labelled) and the tweets."""
    counts = {}
    with engine.begin() as conn:
        speaker = ensure_speaker(conn, name="Donald Trump")
        for name, kind, rows in (
            ("toronto_star", "label_source", read_toronto_star(shared)),
            ("cnn", "label_source", read_cnn(shared)),
            ("tweets", "statement_stream", read_tweets(shared)),
        ):
            sid = ensure_source(conn, name=name, kind=kind)
            counts[name] = insert_statements(conn, [{**r, "source_id": sid, "speaker_id": speaker} for r in rows])
            if kind == "label_source":
                ids = statement_ids(conn, source_id=sid, external_ids=[r["external_id"] for r in rows])
                labels = [
                    {"statement_id": i, "rating_source": name, "source_label": "false", "label_class": 1}
                    for i in ids.values()
                ]
                insert_labels(conn, labels)
    return counts
