"""Prometheus metrics of the service (one registry per app, so tests can build many apps in one process)."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class ServiceMetrics:
    """Request counts by route and status, latency, batch sizes and time, queue depth, errors, recording."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("dc_requests", "HTTP requests by route and status", ["route", "status"], registry=r)
        self.latency = Histogram(
            "dc_request_seconds", "HTTP request latency", ["route"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.batch_size = Histogram("dc_batch_size", "statements per forward pass", buckets=BATCH_BUCKETS, registry=r)
        self.batch_seconds = Histogram(
            "dc_batch_seconds", "time of one forward pass", buckets=LATENCY_BUCKETS, registry=r
        )
        self.queue_depth = Gauge("dc_queue_depth", "statements waiting for a batch", registry=r)
        self.errors = Counter("dc_errors", "errors by kind", ["kind"], registry=r)
        self.recorded = Counter("dc_recorded_predictions", "API predictions written to the store", registry=r)
        self.record_dropped = Counter("dc_record_dropped", "API predictions dropped unrecorded", registry=r)

    def observe_batch(self, size: int, seconds: float) -> None:
        """Called by the micro-batcher after each forward pass."""
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)


def route_label(scope: Scope) -> str:
    """The matched route's path template (``/v1/models/{model_id}/activate``), never the raw path: bounded labels."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class MetricsMiddleware:
    """Pure ASGI middleware: counts every HTTP response by route and status and times it."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = route_label(scope)
            self.metrics.requests.labels(route=route, status=str(status["code"])).inc()
            self.metrics.latency.labels(route=route).observe(time.perf_counter() - started)
            if status["code"] >= 500:
                self.metrics.errors.labels(kind=f"http_{status['code']}").inc()
