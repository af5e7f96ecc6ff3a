"""Build a dataset collection from the store: read (SQL edge) → pure steps → store + snapshot (I/O edges).

Public API for the train and evaluate stages: :func:`build_collection`, :func:`latest_collection`,
:func:`collection_info` and, in ``snapshot``, :func:`load_splits`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import torch
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.core.errors import DatasetError
from deep_classiflie.dataset import pipeline
from deep_classiflie.dataset.candidates import date_window
from deep_classiflie.dataset.embed import filter_embeddings
from deep_classiflie.dataset.records import Record
from deep_classiflie.dataset.snapshot import MANIFEST, canonical_json, content_hash, write_snapshot
from deep_classiflie.dataset.tasks import TaskSpec, load_task
from deep_classiflie.model.encoder import Encoder, load_encoder
from deep_classiflie_db.queries import dataset as q

log = logging.getLogger(__name__)
EncoderLoader = Callable[[], Encoder]


@dataclass(frozen=True)
class CollectionInfo:
    """A stored dataset collection and where its snapshot lies."""

    id: int
    name: str
    task: str
    content_hash: str
    snapshot_dir: Path
    counts: dict[str, Any]
    report: dict[str, Any] | None
    reused: bool = False


def snapshots_root(config: Config) -> Path:
    """``<data_dir>/datasets``."""
    return Path(config.paths.data_dir) / "datasets"


def _info(row: dict[str, Any], root: Path, *, reused: bool = False) -> CollectionInfo:
    return CollectionInfo(
        id=int(row["id"]),
        name=row["name"],
        task=row["task"],
        content_hash=row["content_hash"],
        snapshot_dir=root / row["content_hash"],
        counts=row["counts"],
        report=row["report"],
        reused=reused,
    )


# Where a source's statements were published, for sources whose rows do not say (meta "origin").
SOURCE_ORIGINS = {
    "tweets": "twitter.com",
    "tweets_csv": "twitter.com",
    "miller_center": "millercenter.org",
    "miller_center_2017_2018": "millercenter.org",
    "factbase_interviews": "factba.se",
    "presidency_project": "presidency.ucsb.edu",
}


def origin_of(
    meta: dict[str, Any], source_name: str | None, label_url: str | None, statement_type: str = ""
) -> str | None:
    """The statement's publication origin: its own ``meta.origin``, else the domain of the source a
    fact-checker cites, else twitter.com for a tweet, else the store source's known origin (else its name)."""
    if meta.get("origin"):
        return str(meta["origin"])
    if label_url:
        host = urlsplit(label_url.strip()).hostname or ""
        if host:
            return host.removeprefix("www.").removeprefix("mobile.")
    if statement_type == "tweet":
        return "twitter.com"
    return SOURCE_ORIGINS.get(source_name or "", source_name)


def to_record(row: dict[str, Any], label: int = -1) -> Record:
    """A store row (statement columns, optionally label columns) as a :class:`Record`.

    A row's ``speaker_name`` (labelled rows carry it) joins ``meta`` as ``speaker``, so tasks can use it
    like any other metadata key (``meta_features``, ``text_meta``); ``source_name`` joins as ``source``
    and the publication origin as ``origin`` (the leakage probe's "source").
    """
    meta = dict(row["meta"] or {})
    if row.get("speaker_name"):
        meta["speaker"] = row["speaker_name"]
    if row.get("source_name"):
        meta["source"] = row["source_name"]
    found = origin_of(meta, row.get("source_name"), row.get("label_url"), row["statement_type"])
    if found:
        meta["origin"] = found
    return Record(
        statement_id=int(row["id"]),
        text=row["text"],
        text_hash=row["text_hash"],
        date=row["statement_date"],
        statement_type=row["statement_type"],
        word_count=int(row["word_count"]),
        label=label,
        is_retweet=bool(row["is_retweet"]),
        source_label=row.get("source_label"),
        meta=meta,
    )


def labelled_records(rows: Sequence[dict[str, Any]], task: TaskSpec) -> tuple[list[Record], int]:
    """One record per statement (first rater by name), class from ``label_map`` or ``label_class``.

    Returns the records and the number of rows whose source label the map does not know.
    """
    out: dict[int, Record] = {}
    unmapped = 0
    for row in rows:
        if row["id"] in out:
            continue
        if task.label_map is not None:
            label = task.label_map.get(str(row["source_label"]).strip().lower())
            if label is None:
                unmapped += 1
                continue
        else:
            label = int(row["label_class"])
        if 0 <= label < len(task.classes):
            out[row["id"]] = to_record(row, label)
    return list(out.values()), unmapped


def _embedder(config: Config, encoder: Encoder | None) -> pipeline.EmbedFn | None:
    if encoder is None:
        return None
    kind, enc = config.dataset.filter.embedding, config.encoder

    def embed(texts: Sequence[str]) -> Any:
        return filter_embeddings(encoder, texts, kind=kind, max_length=enc.max_length, batch_size=enc.batch_size)

    return embed


# Bumped when a step's code changes what a build produces, so a store's cached snapshots are rebuilt, not reused
# (2: typography and editorial marks, dataset/editorial.py).
STEPS_VERSION = 2


def input_key(config: Config, task: TaskSpec, fingerprint: dict[str, int], encoder_fp: str | None) -> str:
    """What a build depends on: dataset config, task, store state and encoder. Same key → reuse the cache."""
    payload = {
        "steps_version": STEPS_VERSION,
        "dataset": config.dataset.model_dump(mode="json", exclude={"reuse_cache"}),
        "task": task.model_dump(mode="json"),
        "store": fingerprint,
        "encoder": encoder_fp,
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def build_collection(engine: Engine, config: Config, *, encoder_loader: EncoderLoader | None = None) -> CollectionInfo:
    """Build (or reuse) the dataset collection the config describes, store it and materialise its snapshot.

    1) load the task; 2) reuse a stored collection built from the same inputs if its snapshot exists;
    3) read falsehoods/labelled rows and candidate truths; 4) run the pure steps; 5) store the
    collection, members and exclusions (once per content hash); 6) write the snapshot.
    """
    cfg = config.dataset
    task = load_task(cfg)  # 1)
    root = snapshots_root(config)
    needs_encoder = task.kind == "falsehood_binary" and cfg.filter.embedding != "none"
    encoder = (encoder_loader or (lambda: load_encoder(cfg.filter.encoder)))() if needs_encoder else None
    with engine.connect() as conn:
        key = input_key(config, task, q.store_fingerprint(conn), encoder.fingerprint() if encoder else None)
        if cfg.reuse_cache:  # 2)
            for row in q.collections_named(conn, name=cfg.name):
                if row["config"].get("input_key") == key and (root / row["content_hash"] / MANIFEST).is_file():
                    log.info("dataset %s unchanged: reusing collection %s", cfg.name, row["id"])
                    return _info(row, root, reused=True)
        result = _run_steps(conn, config, task, encoder)  # 3) 4)
    report = pipeline.add_leakage(result, task, cfg)
    stored_config = {
        "dataset": cfg.model_dump(mode="json", exclude={"reuse_cache"}),
        "task": task.model_dump(mode="json"),
        "encoder": str(encoder.path) if encoder else None,
        "encoder_fingerprint": encoder.fingerprint() if encoder else None,
    }
    hashed = {k: v for k, v in stored_config.items() if k != "encoder"}  # a path differs between machines
    digest = content_hash(hashed, result.members)
    counts = report["counts"]
    with engine.begin() as conn:  # 5)
        stored = q.collection_by_hash(conn, content_hash=digest)
        if stored is None:
            cid = q.insert_collection(
                conn,
                name=cfg.name,
                task=cfg.task,
                content_hash=digest,
                config={**stored_config, "input_key": key},
                counts=counts,
                report=report,
            )
            members = [(m.record.statement_id, m.split, m.record.label, m.copies) for m in result.members]
            q.insert_members(conn, collection_id=cid, rows=members)
            excl = [(e.statement_id, e.matched_statement_id, e.reason, e.distance) for e in result.exclusions]
            q.insert_exclusions(conn, collection_id=cid, rows=excl)
            stored = q.collection_by_id(conn, collection_id=cid)
        assert stored is not None
    manifest = {
        "content_hash": digest,
        "collection_id": stored["id"],
        "name": cfg.name,
        "task": cfg.task,
        "classes": task.classes,
        "counts": counts,
        "meta_names": result.meta_names,
        "config": stored_config,
    }
    write_snapshot(root, manifest, result.members, result.meta)  # 6)
    return _info(stored, root)


def _run_steps(conn: Any, config: Config, task: TaskSpec, encoder: Encoder | None) -> pipeline.BuildResult:
    cfg = config.dataset
    torch.set_num_threads(max(1, min(torch.get_num_threads(), 2)))
    if task.kind == "labelled":
        rows = q.labelled_statements(conn, rating_sources=task.rating_sources, source_names=task.sources)
        records, unmapped = labelled_records(rows, task)
        result = pipeline.build_labelled_members(records, cfg, task)
        result.steps["unmapped_labels"] = unmapped
        return result
    speaker = q.speaker_id(conn, name=task.speaker) if task.speaker else None
    if task.speaker and speaker is None:
        raise DatasetError(
            f"speaker {task.speaker!r} is not in the store",
            hint="run `deep-classiflie ingest --source toronto_star` (and tweets) first",
        )
    rows = q.labelled_statements(conn, rating_sources=task.rating_sources, source_names=task.sources, speaker=speaker)
    falsehoods = [r for r in labelled_records(rows, task)[0] if r.label == 1]
    window = date_window(falsehoods)
    if window is None or speaker is None:
        raise DatasetError(
            f"no dated falsehoods from {', '.join(task.rating_sources)} in the store",
            hint="run `deep-classiflie ingest --source toronto_star` first",
        )
    cand_rows = q.unlabelled_statements(
        conn,
        speaker=speaker,
        statement_types=cfg.truth_stream_types,
        start=window[0],
        end=window[1],
        min_words=cfg.min_words,
        max_words=cfg.max_words,
    )
    statements = [to_record(r) for r in cand_rows]
    log.info("%d falsehoods, %d candidate statements", len(falsehoods), len(statements))
    return pipeline.build_falsehood_members(falsehoods, statements, cfg, task, _embedder(config, encoder))


def latest_collection(engine: Engine, name: str, *, data_dir: Path = Path(".dc")) -> CollectionInfo | None:
    """The newest stored collection called ``name`` (its snapshot under ``data_dir/datasets``), or None."""
    with engine.connect() as conn:
        row = q.latest_collection_row(conn, name=name)
    return _info(row, data_dir / "datasets") if row else None


def collection_info(engine: Engine, collection_id: int, *, data_dir: Path = Path(".dc")) -> CollectionInfo:
    """The stored collection ``collection_id``; DatasetError when there is none."""
    with engine.connect() as conn:
        row = q.collection_by_id(conn, collection_id=collection_id)
    if row is None:
        raise DatasetError(
            f"no dataset collection with id {collection_id}", hint="list them with `deep-classiflie dataset report`"
        )
    return _info(row, data_dir / "datasets")


def find_collection(
    engine: Engine, name: str, collection_id: int | None, *, data_dir: Path = Path(".dc")
) -> CollectionInfo:
    """Collection ``collection_id`` when given, else the newest called ``name``; DatasetError when there is none."""
    if collection_id is not None:
        return collection_info(engine, collection_id, data_dir=data_dir)
    found = latest_collection(engine, name, data_dir=data_dir)
    if found is None:
        raise DatasetError(
            f"no dataset collection called {name!r} in the store", hint="run `deep-classiflie build-dataset` first"
        )
    return found
