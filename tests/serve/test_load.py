"""Load on loopback: ≥ 10,000 requests at concurrency 64 against ``deep-classiflie serve`` in its own process —
no errors, server RSS growth printed and bounded — and a deliberately tiny queue answering 503 + Retry-After."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy.engine import Engine

from tests.serve.conftest import make_client, serve_config

REQUESTS = 10_000
CONCURRENCY = 64
MAX_RSS_GROWTH_MB = 64


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, data_dir: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).parent / "deep-classiflie"
    cmd = [str(exe), "--set", f"paths.data_dir={data_dir}", "--set", "serve.backend=torch", *extra]
    cmd += ["serve", "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DC_")} | {"DC_DB_URL": url}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_up(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not come up")


async def hammer(url: str, n: int, concurrency: int) -> Counter[int]:
    texts = ["fake news is big", "the wall and the border", "china tax jobs", "we are a great country"]
    todo = iter(range(n))
    statuses: Counter[int] = Counter()

    async def worker(client: httpx.AsyncClient) -> None:
        for i in todo:
            body = {"statements": [{"text": texts[i % 4] + f" {i % 97}", "statement_type": "tweet"}]}
            statuses[(await client.post(url, json=body)).status_code] += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return statuses


@pytest.mark.timeout(420)  # ≤ 3 minutes on an idle 2-core machine; generous for a shared one
def test_ten_thousand_requests_at_concurrency_64(store: Engine, tmp_path: Path) -> None:
    port = free_port()
    proc = start_server(str(store.url), tmp_path / "dc", port)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base, proc)
        server = psutil.Process(proc.pid)
        warm = asyncio.run(hammer(base + "/v1/predict", 1000, CONCURRENCY))
        rss_before = server.memory_info().rss
        started = time.monotonic()
        statuses = asyncio.run(hammer(base + "/v1/predict", REQUESTS, CONCURRENCY))
        seconds = time.monotonic() - started
        growth_mb = (server.memory_info().rss - rss_before) / 2**20
        metrics = httpx.get(base + "/metrics").text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(
        f"\n{REQUESTS} requests at c={CONCURRENCY} in {seconds:.1f} s ({REQUESTS / seconds:.0f}/s); RSS growth {growth_mb:+.1f} MiB"
    )
    assert warm == Counter({200: 1000})
    assert statuses == Counter({200: REQUESTS})  # no deliberate 503s at this load: the queue holds 1024
    assert growth_mb < MAX_RSS_GROWTH_MB
    assert f'dc_requests_total{{route="/v1/predict",status="200"}} {float(REQUESTS + 1000)}' in metrics


def test_a_full_queue_answers_503_with_retry_after(store: Engine, tiny_encoder_path: Path, tmp_path: Path) -> None:
    config = serve_config(tiny_encoder_path, tmp_path, batching={"max_batch_size": 1, "max_wait_ms": 0, "max_queue": 2})
    client = make_client(store, config)

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as c:
            body = {"statements": [{"text": "the wall"}]}
            return await asyncio.gather(*(c.post("/v1/predict", json=body) for _ in range(64)))

    responses = asyncio.run(burst())
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) == {200, 503}, statuses
    for r in responses:
        if r.status_code == 503:
            assert r.headers["Retry-After"] == "1"
            assert "serve.batching.max_queue=2" in r.json()["detail"]
