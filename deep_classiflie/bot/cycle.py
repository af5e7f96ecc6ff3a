"""One bot cycle: ingest the due sources, analyse what the active model has not seen, queue and deliver posts.

Steps of :meth:`Bot.cycle`:
1) reload the model when another one became active;
2) ingest every source whose interval has passed (a failing source is logged and tried at its next turn);
3) analyse up to ``max_per_cycle`` new statements: rules that need no prediction first, then predict in
   batches, look up the confidence bucket, apply the publish rule, render the cards of the posts, and record
   every decision (with the outbox rows of the posts) in one transaction per batch;
4) deliver the pending posts (:mod:`deep_classiflie.bot.delivery`);
5) purge card and dry-run folders older than ``retention_days``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from deep_classiflie.bot import cards, rules
from deep_classiflie.bot.backoff import Waiter
from deep_classiflie.bot.delivery import DeliveryReport, deliver_pending
from deep_classiflie.bot.publishers import Publisher
from deep_classiflie.bot.template import post_text
from deep_classiflie.config import Config
from deep_classiflie.core.errors import DataSourceError, DeepClassiflieError, FetchError
from deep_classiflie.dataset.types import type_id
from deep_classiflie_db.queries import bot as q
from deep_classiflie_db.queries.evaluate import bucket_rows, upsert_predictions
from deep_classiflie_db.queries.ingest import utcnow

log = logging.getLogger(__name__)

CardFactory = Callable[[dict[str, Any], Any], cards.CardMaker]


@dataclass
class CycleReport:
    """What one cycle did."""

    ingested: dict[str, int] = field(default_factory=dict)  # source → statements inserted
    analysed: int = 0
    queued: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    def line(self, n: int) -> str:
        """One log line."""
        sources = ", ".join(f"{k} +{v}" for k, v in self.ingested.items()) or "-"
        d = self.delivery
        return (
            f"cycle {n}: ingested {sources}; analysed {self.analysed}, queued {self.queued}; "
            f"posted {d.posted} (found {d.found}), failed {d.failed}, pending {d.pending}"
        )


@dataclass
class Model:
    """The active model as the bot uses it."""

    row: dict[str, Any]
    classifier: Any
    buckets: Any  # BucketTable | None
    window_end: dt.datetime | None


def load_model(engine: Engine) -> Model:
    """The active model, its test-split buckets and the end of its test window."""
    from deep_classiflie.evaluate.buckets import BucketStats, BucketTable
    from deep_classiflie.model.resolve import load_registered

    row, classifier = load_registered(engine, None)
    stored = bucket_rows(engine, model_version_id=int(row["id"]), split="test")
    table = BucketTable(BucketStats.from_row(r) for r in stored) if stored else None
    window = q.test_window_end(engine, model_version_id=int(row["id"]))
    log.info("model %s (id %s); test window ends %s", row["name"], row["id"], window or "-")
    return Model(row=row, classifier=classifier, buckets=table, window_end=window)


def idempotency_key(network: str, model_version_id: int, statement_id: int) -> str:
    """The same key for the same post on every run (the network's idempotency key and the dry-run file name)."""
    return hashlib.sha256(f"{network}:{model_version_id}:{statement_id}".encode()).hexdigest()[:32]


def _bucket(model: Model, confidence: float, statement_type: str) -> rules.Bucket | None:
    if model.buckets is None:
        return None
    b = model.buckets.bucket_for(confidence, statement_type)

    def num(v: float) -> float | None:
        return None if v is None or np.isnan(v) else float(v)

    return rules.Bucket(bucket=int(b.bucket), n=int(b.n), ppv=num(b.ppv), accuracy=num(b.accuracy), npv=num(b.npv))


class Bot:
    """The bot's state between cycles: store, config, publisher, the loaded model and when each source is due."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        publisher: Publisher,
        *,
        waiter: Waiter,
        card_factory: CardFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.config = config
        self.cfg = config.bot
        self.publisher = publisher
        self.waiter = waiter
        self.card_factory = card_factory
        self.clock = clock
        self.model: Model | None = None
        self.card_maker: cards.CardMaker | None = None
        self.next_due: dict[str, float] = {}

    @property
    def out_dir(self) -> Path:
        return self.cfg.out_dir or self.config.paths.data_dir / "bot"

    # ------------------------------------------------------------ 1) model

    def ensure_model(self) -> Model:
        """Load the active model, again when another one became active."""
        from deep_classiflie.model.resolve import resolve_model_version

        active = resolve_model_version(self.engine, None)
        if self.model is None or int(self.model.row["id"]) != int(active["id"]):
            self.model = load_model(self.engine)
            if self.card_factory is not None:
                self.card_maker = self.card_factory(self.model.row, self.model.classifier)
            else:
                self.card_maker = cards.card_maker(
                    self.cfg.card, self.engine, self.model.row, self.model.classifier, self.config.explain
                )
        return self.model

    # ------------------------------------------------------------ 2) ingest

    def seconds_to_next_source(self) -> float:
        """How long until the next source is due (0 when one is due now)."""
        now = self.clock()
        waits = [self.next_due.get(s.name, now) - now for s in self.cfg.sources]
        return max(0.0, min(waits)) if waits else float("inf")

    def ingest_due(self) -> dict[str, int]:
        """Run every due source; returns source → statements inserted."""
        from deep_classiflie_db.ingest.registry import import_source

        done: dict[str, int] = {}
        for source in self.cfg.sources:
            now = self.clock()
            if self.waiter.stopping or self.next_due.get(source.name, now) > now:
                continue
            self.next_due[source.name] = now + source.interval_s
            try:
                report = import_source(self.engine, source.name, path=None, config=self.config)
            except (FetchError, DataSourceError) as exc:  # transient for the bot: the next turn tries again
                log.warning("ingest of %s failed; next try in %.0f s: %s", source.name, source.interval_s, exc)
                continue
            done[source.name] = int(report.inserted)
        return done

    # ------------------------------------------------------------ 3) analyse

    def analysed_sources(self) -> list[str]:
        """The sources whose statements the bot analyses."""
        if self.cfg.analyse_sources is not None:
            return list(self.cfg.analyse_sources)
        return [s.name for s in self.cfg.sources]

    def _posted_today(self) -> int:
        now = utcnow()
        return q.posts_since(
            self.engine, network=self.publisher.network, since=dt.datetime(now.year, now.month, now.day)
        )

    def analyse(self) -> tuple[int, int]:
        """Analyse new statements of the bot's sources; returns (analysed, queued posts)."""
        model = self.ensure_model()
        mv = int(model.row["id"])
        found = q.unanalysed_statements(
            self.engine,
            model_version_id=mv,
            source_names=self.analysed_sources(),
            limit=self.cfg.max_per_cycle,
        )
        candidates = [
            rules.Candidate(
                statement_id=int(r["statement_id"]),
                text=str(r["text"]),
                statement_type=str(r["statement_type"]),
                statement_date=r["statement_date"],
                is_retweet=bool(r["is_retweet"]),
                source=str(r["source"]),
                meta=r["meta"] if isinstance(r["meta"], dict) else None,
            )
            for r in found
        ]
        early: list[tuple[rules.Candidate, rules.Decision]] = []
        todo: list[rules.Candidate] = []
        for c in candidates:
            d = rules.before_prediction(c, window_end=model.window_end, cfg=self.cfg.rule)
            if d is not None:
                early.append((c, d))
            else:
                todo.append(c)
        if early:
            with self.engine.begin() as conn:
                q.record_analyses(
                    conn,
                    model_version_id=mv,
                    rows=[
                        {"statement_id": c.statement_id, "decision": "skip", "rule": d.rule, "detail": d.detail}
                        for c, d in early
                    ],
                )
        queued = 0
        for start in range(0, len(todo), self.cfg.batch_size):
            if self.waiter.stopping:
                break
            queued += self._analyse_batch(model, todo[start : start + self.cfg.batch_size])
        return len(early) + len(todo), queued

    def _analyse_batch(self, model: Model, batch: list[rules.Candidate]) -> int:
        mv = int(model.row["id"])
        clf = model.classifier
        types = np.array([type_id(c.statement_type) for c in batch], dtype=np.int64)
        meta = [{"statement_type": c.statement_type, "date": c.statement_date, "source": c.source} for c in batch]
        probs = np.asarray(clf.predict_proba([c.text for c in batch], types, meta))[:, 1]
        posted_today = self._posted_today()
        analyses: list[dict[str, Any]] = []
        preds: list[dict[str, Any]] = []
        posts: list[tuple[rules.Candidate, rules.Scored, rules.Bucket, Path | None]] = []
        for c, p in zip(batch, probs, strict=True):
            threshold = float(clf.threshold_for(c.statement_type))
            conf = float(max(p, 1.0 - p))
            scored = rules.Scored(
                float(p), int(p >= threshold), threshold, conf, _bucket(model, conf, c.statement_type)
            )
            d = rules.decide(c, scored, cfg=self.cfg.rule, posted_today=posted_today)
            preds.append(
                {
                    "statement_id": c.statement_id,
                    "probability": scored.probability,
                    "predicted_label": scored.label,
                    "confidence": conf,
                }
            )
            b = scored.bucket
            analyses.append(
                {
                    "statement_id": c.statement_id,
                    "probability": scored.probability,
                    "predicted_label": scored.label,
                    "threshold": threshold,
                    "bucket": b.bucket if b else None,
                    "bucket_n": b.n if b else None,
                    "bucket_ppv": b.ppv if b else None,
                    "decision": "post" if d.post else "skip",
                    "rule": d.rule,
                    "detail": d.detail,
                }
            )
            if d.post and b is not None:
                posted_today += 1
                posts.append((c, scored, b, self._card(c)))
        with self.engine.begin() as conn:
            upsert_predictions(conn, model_version_id=mv, rows=preds)
            pred_ids = q.prediction_ids(conn, model_version_id=mv, statement_ids=[c.statement_id for c in batch])
            for a in analyses:
                a["prediction_id"] = pred_ids.get(int(a["statement_id"]))
            ids = q.record_analyses(conn, model_version_id=mv, rows=analyses)
            for c, scored, b, card in posts:
                text = post_text(
                    self.cfg.template,
                    statement_id=c.statement_id,
                    statement_text=c.text,
                    statement_date=c.statement_date,
                    probability=scored.probability,
                    bucket_ppv=float(b.ppv or 0.0),
                    bucket_n=b.n,
                    model=str(model.row["name"]),
                )
                q.add_outbox(
                    conn,
                    analysis_id=ids[c.statement_id],
                    network=self.publisher.network,
                    idempotency_key=idempotency_key(self.publisher.network, mv, c.statement_id),
                    text=text,
                    card_file=str(card) if card else None,
                )
        return len(posts)

    def _card(self, candidate: rules.Candidate) -> Path | None:
        assert self.card_maker is not None
        folder = cards.day_folder(self.out_dir / "cards", utcnow())
        folder.mkdir(parents=True, exist_ok=True)
        try:
            return self.card_maker.make(candidate, folder)
        except DeepClassiflieError as exc:  # a card that cannot be made does not hold the post back
            log.warning("no card for statement %d (posting the text only): %s", candidate.statement_id, exc)
            return None

    # ------------------------------------------------------------ the cycle

    def cycle(self) -> CycleReport:
        """Steps 1–5 once."""
        report = CycleReport()
        self.ensure_model()
        report.ingested = self.ingest_due()
        if not self.waiter.stopping:
            report.analysed, report.queued = self.analyse()
        report.delivery = deliver_pending(self.engine, self.publisher, cfg=self.cfg.retry, waiter=self.waiter)
        today = utcnow().date()
        for root in (self.out_dir / "cards", self.out_dir / "dry_run"):
            cards.purge(root, today=today, retention_days=self.cfg.retention_days)
        return report
