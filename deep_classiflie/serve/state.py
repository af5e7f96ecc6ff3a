"""Everything the routes share: config, store, the model holder, the batcher, metrics, recorder and the key."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.serve.batching import MicroBatcher
from deep_classiflie.serve.metrics import ServiceMetrics
from deep_classiflie.serve.recorder import PredictionRecorder
from deep_classiflie.serve.served import ModelHolder, Served, load_served


@dataclass
class ServiceState:
    """Built once by :func:`deep_classiflie.serve.app.build_state`; constructors only assign."""

    config: Config
    engine: Engine
    holder: ModelHolder
    batcher: MicroBatcher
    metrics: ServiceMetrics
    recorder: PredictionRecorder | None = None
    api_key: SecretStr | None = None
    _store_ok: tuple[float, bool] = field(default=(0.0, False))

    @property
    def data_dir(self) -> Path:
        return self.config.paths.data_dir

    def load(self, ref: str | int | None) -> Served:
        """Load a model version with this service's backend settings (blocking: call from a thread)."""
        return load_served(self.engine, ref, self.config.serve, data_dir=self.data_dir)

    def _ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # any driver error means "not reachable"; the reason is not the probe's business
            return False

    async def store_reachable(self) -> bool:
        """Whether the store answers ``SELECT 1`` (result reused for ``serve.ready_cache_s``)."""
        stamp, ok = self._store_ok
        now = time.monotonic()
        if now - stamp < self.config.serve.ready_cache_s:
            return ok
        try:
            ok = await asyncio.wait_for(asyncio.to_thread(self._ping), timeout=3.0)
        except TimeoutError:
            ok = False
        self._store_ok = (time.monotonic(), ok)
        return ok
