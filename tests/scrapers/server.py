"""A real HTTP server on 127.0.0.1 that replays recorded responses from ``tests/fixtures/http``.

Routes match on the path and a subset of the query; each route plays its replies in order and
repeats the last one (so ``429`` then ``200`` is two replies). Every request is logged, which is
how tests count what a scraper actually asked for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "http"

TYPES = {".json": "application/json", ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


@dataclass
class Reply:
    """One recorded response: a fixture file (relative to ``tests/fixtures/http``) or literal bytes."""

    status: int = 200
    file: str | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> tuple[bytes, str]:
        if self.file is None:
            return self.body, "text/plain; charset=utf-8"
        path = FIXTURES / self.file
        return path.read_bytes(), TYPES.get(path.suffix, "application/octet-stream")


@dataclass
class Route:
    path: str
    query: dict[str, str]
    replies: list[Reply]
    served: int = 0


@dataclass(frozen=True)
class Seen:
    """A request the server received."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FixtureServer:
    """Serve routes on an ephemeral port of 127.0.0.1 from a daemon thread."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, path: str, *replies: Reply, query: dict[str, str] | None = None) -> None:
        """Serve ``replies`` at ``path`` (when the request's query contains ``query``); newer routes win."""
        self.routes.insert(0, Route(path=path, query=dict(query or {}), replies=list(replies)))

    def file(self, path: str, fixture: str, *, query: dict[str, str] | None = None) -> None:
        """Shorthand: one 200 reply with a fixture file."""
        self.add(path, Reply(file=fixture), query=query)

    def hits(self, path: str) -> int:
        """How many requests arrived for ``path``."""
        return sum(1 for s in self.seen if s.path == path)

    def reset_log(self) -> None:
        with self.lock:
            self.seen.clear()

    def start(self) -> FixtureServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                with server.lock:
                    server.seen.append(Seen(parts.path, query, {k.lower(): v for k, v in self.headers.items()}))
                    reply = server.pick(parts.path, query)
                body, kind = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value.replace("{base}", server.base))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def pick(self, path: str, query: dict[str, str]) -> Reply:
        for route in self.routes:
            if route.path == path and all(query.get(k) == v for k, v in route.query.items()):
                reply = route.replies[min(route.served, len(route.replies) - 1)]
                route.served += 1
                return reply
        return Reply(status=404, body=b"not found")

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
