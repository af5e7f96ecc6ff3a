"""Benchmarks: LIAR (Wang 2017), MediaEval 2020 FakeNews, FakeNewsNet PolitiFact (partial).

Each keeps the benchmark's own label in ``source_label`` and maps it to ``label_class``:
LIAR ordinal 0 (pants-fire) … 5 (true); MediaEval 0..2 from Label 1..3; FakeNewsNet fake = 1, real = 0.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest.readers import checked_rows, csv_rows, decode, read_header
from deep_classiflie_db.ingest.records import LabelRecord, Reject, StatementRecord

Item = StatementRecord | Reject

LIAR_LABELS = {"pants-fire": 0, "false": 1, "barely-true": 2, "half-true": 3, "mostly-true": 4, "true": 5}
LIAR_COLUMNS = (
    "id",
    "label",
    "statement",
    "subjects",
    "speaker",
    "speaker_job",
    "state",
    "party",
    "barely_true_count",
    "false_count",
    "half_true_count",
    "mostly_true_count",
    "pants_on_fire_count",
    "context",
)
MEDIAEVAL_LABELS = {"1": "5g_corona_conspiracy", "2": "other_conspiracy", "3": "non_conspiracy"}


def parse_liar(data: bytes, *, config: IngestConfig, name: str = "train.tsv") -> Iterator[Item]:
    """One LIAR split: 14 tab-separated columns, no header, read with quoting off (``csv.QUOTE_NONE``).

    Default CSV quoting would merge rows at stray ``"`` (the paper's 10,240 instead of 10,269 rows).
    The split's name (``train``/``valid``/``test``) is kept as ``meta.given_split``.
    """
    split = name.rsplit("/", 1)[-1].split(".", 1)[0]
    rows = csv_rows(decode(data), name=name, delimiter="\t", quoting=csv.QUOTE_NONE)
    for _, loc, raw, row in checked_rows(rows, name=name, width=len(LIAR_COLUMNS)):
        if isinstance(row, Reject):
            yield row
            continue
        rec = dict(zip(LIAR_COLUMNS, (f.strip() for f in row), strict=True))
        if rec["label"] not in LIAR_LABELS:
            yield Reject(loc, f"unknown label {rec['label']!r} (expected one of {', '.join(LIAR_LABELS)})", raw)
            continue
        if not rec["id"]:
            yield Reject(loc, "missing id", raw)
            continue
        # Credit-history counts: empty is "unknown" (None); anything else that is not a count ("NaN", "abc")
        # means a corrupt row, which is a reject rather than a count silently set to null.
        bad = next((k for k in LIAR_COLUMNS[8:13] if rec[k] and not (rec[k].isascii() and rec[k].isdigit())), None)
        if bad is not None:
            yield Reject(loc, f"credit-history count {bad} is not a number: {rec[bad]!r}", raw)
            continue
        meta: dict[str, Any] = {"given_split": split}
        for key in ("subjects", "speaker_job", "state", "party", "context"):
            meta[key] = rec[key]
        for key in LIAR_COLUMNS[8:13]:
            meta[key] = int(rec[key]) if rec[key] else None
        yield StatementRecord(
            external_id=rec["id"],
            text=rec["statement"],
            statement_date=None,
            statement_type="claim",
            meta=meta,
            speaker=rec["speaker"] or None,
            label=LabelRecord(
                rating_source="politifact", source_label=rec["label"], label_class=LIAR_LABELS[rec["label"]]
            ),
        )


def parse_liar_files(files: Iterable[tuple[str, bytes]], *, config: IngestConfig) -> Iterator[Item]:
    """Every split file of LIAR (``train.tsv``, ``valid.tsv``, ``test.tsv`` when present)."""
    for name, data in files:
        yield from parse_liar(data, config=config, name=name)


def parse_mediaeval(data: bytes, *, config: IngestConfig, name: str = "train.csv") -> Iterator[Item]:
    """MediaEval 2020 FakeNews dev tweets: ``ID,Text,Label`` with Label 1..3 → class 0..2."""
    rows = csv_rows(decode(data), name=name)
    header, col = read_header(rows, name, ("id", "text", "label"), fix="give the file with its ID,Text,Label header")
    for _, loc, raw, row in checked_rows(rows, name=name, width=len(header)):
        if isinstance(row, Reject):
            yield row
            continue
        label = row[col["label"]].strip()
        if label not in MEDIAEVAL_LABELS:
            yield Reject(loc, f"unknown label {label!r} (expected 1, 2 or 3)", raw)
            continue
        if not row[col["id"]].strip():
            yield Reject(loc, "missing id", raw)
            continue
        yield StatementRecord(
            external_id=row[col["id"]].strip(),
            text=row[col["text"]],
            statement_date=None,
            statement_type="tweet",
            label=LabelRecord(
                rating_source="mediaeval2020", source_label=MEDIAEVAL_LABELS[label], label_class=int(label) - 1
            ),
        )


def parse_fakenewsnet(files: Iterable[tuple[str, bytes]], *, config: IngestConfig) -> Iterator[Item]:
    """FakeNewsNet PolitiFact headlines: the label comes from the file name (``…fake…`` = 1, ``…real…`` = 0)."""
    for name, data in files:
        lower = name.lower()
        if "fake" in lower:
            source_label, label_class = "fake", 1
        elif "real" in lower:
            source_label, label_class = "real", 0
        else:
            raise DataSourceError(
                f"{name}: cannot tell fake from real by the file name",
                hint="name the files like politifact_fake.csv and politifact_real.csv",
            )
        rows = csv_rows(decode(data), name=name)
        header, col = read_header(
            rows, name, ("id", "news_url", "title"), fix="give the file with its id,news_url,title header row"
        )
        for _, loc, raw, row in checked_rows(rows, name=name, width=len(header)):
            if isinstance(row, Reject):
                yield row
                continue
            if not row[col["id"]].strip():
                yield Reject(loc, "missing id", raw)
                continue
            meta: dict[str, Any] = {"news_url": row[col["news_url"]].strip(), "file": name}
            if "tweet_ids" in col:
                meta["n_tweet_ids"] = len(row[col["tweet_ids"]].split())
            yield StatementRecord(
                external_id=row[col["id"]].strip(),
                text=row[col["title"]],
                statement_date=None,
                statement_type="headline",
                meta=meta,
                label=LabelRecord(
                    rating_source="politifact",
                    source_label=source_label,
                    label_class=label_class,
                    url=row[col["news_url"]].strip() or None,
                ),
            )
