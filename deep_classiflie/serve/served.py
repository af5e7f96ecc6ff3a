"""What the service serves: one loaded model version (row, classifier, backend, buckets) and the holder that
swaps it atomically when another version is activated.

A request takes the holder's current ``Served`` once and keeps it to the end, so a swap never changes the model
under a request in flight: its statements are batched with others of the same ``Served`` and finish on it.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from deep_classiflie.config.ingest import NormaliseConfig
from deep_classiflie.config.serve import ServeConfig
from deep_classiflie.core.errors import DeepClassiflieError
from deep_classiflie.evaluate.buckets import BucketTable
from deep_classiflie.model.classifier import Classifier
from deep_classiflie.serve.backends import Backend, cpu_threads
from deep_classiflie.serve.select import choose_backend

log = logging.getLogger(__name__)

MODEL_KEYS = ("id", "name", "kind", "task", "encoder", "weights_sha256", "created_at")


@dataclass
class Served:
    """One model version ready to answer: its row, classifier, inference backend and confidence buckets."""

    model: dict[str, Any]
    classifier: Classifier
    backend: Backend
    buckets: BucketTable | None = None
    metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)
    rules: NormaliseConfig = field(default_factory=NormaliseConfig)
    # Why this backend serves (serve.backend: auto → the agreement figures that decided it).
    backend_choice: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._bucket_rows: dict[str, tuple[list[float], list[dict[str, Any]]]] | None = None

    def bucket_row(self, confidence: float, statement_type: str) -> dict[str, Any] | None:
        """``BucketTable.bucket_for(confidence, type).as_row()`` from rows built once (it runs per prediction)."""
        if self.buckets is None:
            return None
        if self._bucket_rows is None:
            self._bucket_rows = {
                scope: ([b.max_confidence for b in table], [b.as_row() for b in table])
                for scope, table in self.buckets.by_scope.items()
                if table
            }
        scope = "tweet" if statement_type == "tweet" else "non_tweet"
        found = self._bucket_rows.get(scope) or self._bucket_rows.get("all")
        if found is None:
            return None
        upper, rows = found
        return rows[min(bisect.bisect_left(upper, confidence), len(rows) - 1)]

    @property
    def ref(self) -> dict[str, Any]:
        """``{"id", "name"}`` of the model version, as every response names it."""
        return {"id": int(self.model["id"]), "name": str(self.model["name"])}

    def describe(self) -> dict[str, Any]:
        """The version's public description (no filesystem paths)."""
        out = {k: self.model.get(k) for k in MODEL_KEYS}
        out.update(
            backend=self.backend.name,
            backend_choice=self.backend_choice,
            thresholds=dict(self.classifier.thresholds),
            # types whose cut is the all-rows cut (too few validation rows of a class), with the reason
            thresholds_from_all_rows=dict(self.classifier.thresholds_from_all_rows),
            default_threshold=self.classifier.default_threshold,
            metrics=self.metrics,
            has_buckets=self.buckets is not None,
        )
        return out


def global_metrics(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """``{scope: {metric: value}}`` of a model's newest evaluation rows (bucket scopes left out)."""
    out: dict[str, dict[str, float | None]] = {}
    for row in rows:
        if str(row["scope"]).startswith("bucket"):
            continue
        out.setdefault(str(row["scope"]), {})[str(row["metric"])] = row["value"]
    return out


def load_served(engine: Engine, ref: str | int | None, config: ServeConfig, *, data_dir: Path) -> Served:
    """Resolve and load a model version (``None``: the active one), build its backend and warm it up."""
    from deep_classiflie.evaluate.run import load_bucket_table
    from deep_classiflie.model.resolve import load_registered
    from deep_classiflie_db.queries.evaluate import latest_metrics

    row, classifier = load_registered(engine, ref)
    version_id = int(row["id"])
    table = load_bucket_table(engine, model_version_id=version_id)
    metrics = global_metrics(latest_metrics(engine, model_version_id=version_id, split="test"))
    classifier.batch_size = max(classifier.batch_size, config.batching.max_batch_size)
    backend, choice = choose_backend(
        engine, row, classifier, config, cache_dir=data_dir / "serve" / "onnx", threads=cpu_threads(config.threads)
    )
    warm = [{"statement_type": "tweet"}, {"statement_type": "speech"}]
    backend.predict(["warm up the backend", "a second statement"], np.array([0, 1]), warm)
    return Served(
        model=row,
        classifier=classifier,
        backend=backend,
        buckets=table if table.by_scope else None,
        metrics=metrics,
        backend_choice=choice,
    )


class ModelHolder:
    """The current ``Served`` and the state of a background activation (one at a time)."""

    def __init__(self, served: Served | None = None) -> None:
        self._current = served
        self._lock = threading.Lock()
        self.loading: dict[str, Any] | None = None
        self.last_error: str | None = None

    @property
    def current(self) -> Served | None:
        """The model answering new requests (a plain attribute read: atomic)."""
        return self._current

    def swap(self, served: Served) -> Served | None:
        """Make ``served`` current; returns the previous one (which finishes the requests it holds)."""
        with self._lock:
            previous, self._current = self._current, served
        return previous

    def activate_in_background(
        self, target: dict[str, Any], load: Callable[[], Served], persist: Callable[[Served], None]
    ) -> bool:
        """Load ``target`` in a thread, persist it as the active version, then swap. False if a load is running."""
        with self._lock:
            if self.loading is not None:
                return False
            self.loading = {"id": int(target["id"]), "name": str(target["name"]), "since": time.time()}

        def run() -> None:
            try:
                served = load()
                persist(served)
                self.swap(served)
                self.last_error = None
                log.info("model version %s is now active", served.ref["name"])
            except DeepClassiflieError as exc:
                self.last_error = f"activating {target['name']!r} failed: {exc}"
                log.error("%s", self.last_error)
            except Exception as exc:  # a background thread must record its failure, not die silently
                self.last_error = f"activating {target['name']!r} failed: {type(exc).__name__}"
                log.exception("activating %s failed", target["name"])
            finally:
                with self._lock:
                    self.loading = None

        threading.Thread(target=run, name="dc-activate", daemon=True).start()
        return True
