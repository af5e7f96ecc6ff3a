"""The publisher: score statements the active model has not published yet, log them, rebuild the feed.

Exactly once, by construction:

1. A statement counts as published for a model when its ``publications`` row (channel ``feed``) exists; the
   selection only returns statements without one.
2. A batch's predictions and publication rows are committed in one transaction: a crash before the commit
   leaves nothing (the batch is picked again), after it everything (the batch is never picked again).
3. The feed is a function of the log (its newest ``feed_size`` items, stored with each publication), so a
   crash between a commit and the feed write is repaired by the next run, which rebuilds the feed first.
4. Each document handed to a sink is recorded before the sink is touched, so a copy a crash left (an IPFS
   pin nobody recorded) is retired by the next run.
5. A feed write goes to every sink or, when all already hold one document of the log as it stands, to none:
   a crash between two sinks' writes is repaired by writing a new document to all of them, not to the one
   behind (which would get another ``generated_at`` than the others).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tenacity
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from deep_classiflie.config import Config
from deep_classiflie.core.errors import ModelError
from deep_classiflie.dataset.types import check_statement_type, type_id
from deep_classiflie.evaluate.run import load_bucket_table
from deep_classiflie.model.classifier import Classifier
from deep_classiflie.model.resolve import load_registered
from deep_classiflie.publish.feed import (
    CHANNEL,
    FEED_FILE,
    ModelContext,
    feed_document,
    feed_item,
    metrics_by_scope,
    render,
)
from deep_classiflie.publish.sinks import FileSink, IpfsSink, Sink
from deep_classiflie_db.queries import evaluate as qe
from deep_classiflie_db.queries import publish as q
from deep_classiflie_db.queries.ingest import utcnow

log = logging.getLogger(__name__)

Event = Callable[[str], None]


@dataclass
class LoadedModel:
    """The model the publisher scores with, and what every feed item of it shares."""

    row: dict[str, Any]
    classifier: Classifier
    context: ModelContext


@dataclass
class PublishReport:
    """What one run did."""

    model_id: int
    model_name: str
    since: dt.datetime | None
    published: int = 0
    batches: int = 0
    feed_items: int | None = None  # None: no feed was written (it was already current)
    locations: dict[str, str] = field(default_factory=dict)  # sink → where the feed went

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": {"id": self.model_id, "name": self.model_name},
            "since": None if self.since is None else self.since.isoformat(),
            "published": self.published,
            "batches": self.batches,
            "feed_items": self.feed_items,
            "locations": self.locations,
        }


def feed_path(config: Config) -> Path:
    """Where the file sink writes: ``publish.feed_path``, else ``<paths.data_dir>/feed/current_predictions.json``."""
    if config.publish.feed_path:
        return Path(config.publish.feed_path)
    return Path(config.paths.data_dir) / "feed" / FEED_FILE


def make_sinks(config: Config) -> list[Sink]:
    """The sinks ``publish.sinks`` names, in order."""
    sinks: list[Sink] = []
    for name in config.publish.sinks:
        sinks.append(FileSink(feed_path(config)) if name == "file" else IpfsSink(config.publish.ipfs))
    return sinks


def model_context(engine: Engine, config: Config, row: dict[str, Any]) -> ModelContext:
    """A model's identity, stored confidence buckets and newest metrics (of ``publish.metrics_split``)."""
    split = config.publish.metrics_split
    buckets = load_bucket_table(engine, model_version_id=int(row["id"]), split=split)
    metrics = metrics_by_scope(qe.latest_metrics(engine, model_version_id=int(row["id"]), split=split))
    if not len(buckets):
        log.warning("model %s has no stored confidence buckets: feed items carry no bucket", row["name"])
    return ModelContext(int(row["id"]), str(row["name"]), buckets if len(buckets) else None, metrics)


def load_model(engine: Engine, config: Config, ref: str | int | None = None) -> LoadedModel:
    """Load the model to publish with (``ref``, else ``publish.model``, else the active one) and its track record."""
    row, classifier = load_registered(engine, ref if ref is not None else config.publish.model)
    if classifier.num_classes != 2:
        raise ModelError(
            f"model {row['name']!r} has {classifier.num_classes} classes; the feed publishes falsehood probabilities",
            hint="publish with a binary (falsehood) model: --model NAME",
        )
    return LoadedModel(row=row, classifier=classifier, context=model_context(engine, config, row))


def score_rows(model: LoadedModel, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Predict a batch of statement rows; one record each (prediction columns + the feed item as payload)."""
    texts = [str(r["text"]) for r in rows]
    types = np.array([type_id(str(r["statement_type"])) for r in rows], dtype=np.int64)
    meta = [
        {"statement_type": r["statement_type"], "date": r["statement_date"], "source": r.get("source")} for r in rows
    ]
    probs = model.classifier.predict_proba(texts, types, meta)[:, 1]
    records = []
    for row, p in zip(rows, probs, strict=True):
        threshold = model.classifier.threshold_for(str(row["statement_type"]))
        item, label = feed_item(row, float(p), threshold, model.context)
        prob = float(item["probability"])
        records.append(
            {
                "statement_id": item["statement_id"],
                "probability": prob,
                "predicted_label": label,
                "confidence": max(prob, 1.0 - prob),
                "payload": item,
            }
        )
    return records


MARIADB_DEADLOCK = 1213


def deadlock(exc: BaseException) -> bool:
    """Whether MariaDB rolled a transaction back as a deadlock's victim (it may simply be run again)."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "errno", None) == MARIADB_DEADLOCK


def lost_race(exc: DBAPIError) -> bool:
    """Whether a failed batch commit lost a race with another publisher (duplicate key, or a deadlock victim)."""
    return isinstance(exc, IntegrityError) or deadlock(exc)


# Feed bookkeeping is idempotent: a deadlock victim (two publishers promoting at once) is re-run, a few times.
_again_on_deadlock = tenacity.retry(
    retry=tenacity.retry_if_exception(deadlock),
    stop=tenacity.stop_after_attempt(5),
    wait=tenacity.wait_random(0, 0.2),
    reraise=True,
)
begin_snapshot = _again_on_deadlock(q.begin_snapshot)
promote_snapshot = _again_on_deadlock(q.promote_snapshot)
mark_retired = _again_on_deadlock(q.mark_retired)


def _retire_leftovers(engine: Engine, sink: Sink) -> None:
    """Retire the sink's older documents (stale ones and those a crash left half-written)."""
    current = q.current_snapshot(engine, sink=sink.name)
    keep = None if current is None else current["location"]
    old = q.retirable_snapshots(engine, sink=sink.name)
    for row in old:
        if row["location"] != keep:  # the same content re-added has the same CID: never unpin the live one
            sink.retire(row["location"])
    mark_retired(engine, snapshot_ids=[int(r["id"]) for r in old])


def _in_step(engine: Engine, sinks: Sequence[Sink], model_id: int, last_id: int | None) -> bool:
    """Whether every sink's current document reflects the log up to ``last_id`` and they are all one document.

    One document (one sha256), not just one ``last_id``: a crash between two sinks' writes leaves the first
    with a document the second never got, and a later write of the second alone would render another one
    (another ``generated_at``), so two sinks would publish two feeds for good.
    """
    digests = set()
    for sink in sinks:
        current = q.current_snapshot(engine, sink=sink.name)
        if (
            current is None
            or int(current["model_version_id"]) != model_id
            or current["last_publication_id"] != last_id
            or not sink.holds(current["location"])
        ):
            return False
        digests.add(current["sha256"])
    return len(digests) <= 1


def write_feed(
    engine: Engine, model: LoadedModel, sinks: Sequence[Sink], *, feed_size: int, on_event: Event | None = None
) -> tuple[int | None, dict[str, str]]:
    """Rebuild the feed from the log and hand it to every sink unless all hold it; (items, sink → location).

    All sinks or none: when one is behind (or they hold different documents), one new document goes to every
    sink, so that a run which completes leaves the same document everywhere, whatever a crash left.
    Per sink: 1) where the document will live, recorded as ``writing``; 2) put; 3) promoted to ``current``;
    4) older copies retired. A crash anywhere leaves a row the next run finds.
    """
    ctx = model.context
    last_id = q.last_publication_id(engine, model_version_id=ctx.model_id, channel=CHANNEL)
    if _in_step(engine, sinks, ctx.model_id, last_id):
        return None, {}
    items = q.feed_payloads(engine, model_version_id=ctx.model_id, channel=CHANNEL, limit=feed_size)
    content = render(feed_document(ctx, items, utcnow()))
    digest = hashlib.sha256(content).hexdigest()
    where: dict[str, str] = {}
    for sink in sinks:
        location = sink.locate(content)
        snapshot = begin_snapshot(
            engine,
            sink=sink.name,
            model_version_id=ctx.model_id,
            location=location,
            sha256=digest,
            n_items=len(items),
            last_publication_id=last_id,
        )
        _emit(on_event, f"feed-recorded {sink.name}")
        stored = sink.put(content)
        if stored != location:
            log.warning("sink %s stored the feed at %s, not at %s as located", sink.name, stored, location)
        promote_snapshot(engine, snapshot_id=snapshot, sink=sink.name)
        _emit(on_event, f"feed-written {sink.name}")
        _retire_leftovers(engine, sink)
        where[sink.name] = stored
    return len(items), where


def _emit(on_event: Event | None, what: str) -> None:
    if on_event is not None:
        on_event(what)


def publish_once(
    engine: Engine,
    config: Config,
    sinks: Sequence[Sink],
    *,
    model: LoadedModel | None = None,
    stop: threading.Event | None = None,
    on_event: Event | None = None,
) -> PublishReport:
    """One run: repair the feed if it is behind the log, publish every pending batch, write the feed.

    ``stop`` is checked between batches (a batch in flight finishes and is committed); ``on_event`` hears
    ``batch N`` after each commit and ``feed-…`` around each sink write (the crash tests kill on those).
    """
    cfg = config.publish
    for t in cfg.statement_types or []:
        check_statement_type(t)
    model = model or load_model(engine, config)
    ctx = model.context
    since = cfg.since or q.test_window_end(engine, collection_id=model.row.get("dataset_collection_id"))
    report = PublishReport(ctx.model_id, ctx.model_name, since)

    def feed() -> None:
        n_items, where = write_feed(engine, model, sinks, feed_size=cfg.feed_size, on_event=on_event)
        report.feed_items = report.feed_items if n_items is None else n_items
        report.locations.update(where)

    # 1) a crash after a commit left the feed behind the log (or left a copy to retire): repair that first
    for sink in sinks:
        _retire_leftovers(engine, sink)
    feed()
    # 2) batches: score, then predictions + publication rows in one transaction
    while not (stop is not None and stop.is_set()):
        if cfg.max_batches is not None and report.batches >= cfg.max_batches:
            break
        rows = q.unpublished_statements(
            engine,
            model_version_id=ctx.model_id,
            channel=CHANNEL,
            since=since,
            limit=cfg.batch_size,
            statement_types=cfg.statement_types,
            include_retweets=cfg.include_retweets,
            source_kinds=cfg.source_kinds,
        )
        if not rows:
            break
        records = score_rows(model, rows)
        try:
            with engine.begin() as conn:
                q.record_publications(conn, model_version_id=ctx.model_id, channel=CHANNEL, rows=records)
        except DBAPIError as exc:
            if not lost_race(exc):
                raise
            # Another publisher committed some of these statements first (the unique key refused ours, or MariaDB
            # chose us as a deadlock's victim; nothing of this batch was written). Racing it batch by batch would
            # only repeat that: leave the rest to it.
            log.warning("another publisher is publishing for model %s; ending this run", ctx.model_name)
            break
        report.published += len(records)
        report.batches += 1
        _emit(on_event, f"batch {report.batches}")
        if report.batches % cfg.feed_every_batches == 0:
            feed()
    # 3) the feed, now current with the log
    feed()
    log.info("published %d statements with model %s in %d batches", report.published, ctx.model_name, report.batches)
    return report
