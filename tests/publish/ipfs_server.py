"""A fake IPFS (Kubo) HTTP API on 127.0.0.1 that speaks real HTTP: multipart ``add``, ``pin/add``, ``pin/rm``.

Content addressing is real enough for the publisher: a CID is derived from the bytes (same bytes, same CID),
``add?only-hash=true`` answers the CID without storing, ``pin/rm`` of an unpinned CID is Kubo's HTTP 500
"not pinned or pinned indirectly". ``fail(path, 503, 503)`` makes the next calls to ``path`` answer those
statuses first (for retry tests). Every request is logged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


def fake_cid(content: bytes) -> str:
    """A CIDv1-looking name derived from the bytes (base32 of their sha256, as ``bafkrei…``)."""
    return "bafkrei" + base64.b32encode(hashlib.sha256(content).digest()).decode().lower().rstrip("=")[:52]


def multipart_files(content_type: str, body: bytes) -> list[bytes]:
    """The file parts of a multipart/form-data body, parsed as a MIME message."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.is_multipart():
        return []
    return [part.get_payload(decode=True) or b"" for part in message.iter_parts()]  # type: ignore[attr-defined]


class FakeIpfs:
    """Serve the API from a daemon thread; ``blocks`` (CID → bytes) and ``pins`` are the node's state."""

    def __init__(self) -> None:
        self.blocks: dict[str, bytes] = {}
        self.pins: set[str] = set()
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.failures: dict[str, list[int]] = {}
        self.lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(self, path: str, *statuses: int) -> None:
        """Answer the next calls to ``path`` with these statuses before behaving normally."""
        with self.lock:
            self.failures.setdefault(path, []).extend(statuses)

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.calls if p == path)

    def handle(self, path: str, query: dict[str, str], content_type: str, body: bytes) -> tuple[int, dict]:
        """One API call → (status, JSON body), under the lock."""
        self.calls.append((path, query))
        if self.failures.get(path):
            return self.failures[path].pop(0), {"Message": "temporarily unavailable", "Code": 0, "Type": "error"}
        if path == "/api/v0/add":
            files = multipart_files(content_type, body)
            if len(files) != 1:
                return 400, {"Message": "expected one file in a multipart body", "Code": 0, "Type": "error"}
            cid = fake_cid(files[0])
            if query.get("only-hash") != "true":
                self.blocks[cid] = files[0]
                if query.get("pin", "true") == "true":
                    self.pins.add(cid)
            return 200, {"Name": "current_predictions.json", "Hash": cid, "Size": str(len(files[0]))}
        cid = query.get("arg", "")
        if path == "/api/v0/pin/add":
            if cid not in self.blocks:
                return 500, {"Message": f"block {cid} not found", "Code": 0, "Type": "error"}
            self.pins.add(cid)
            return 200, {"Pins": [cid]}
        if path == "/api/v0/pin/rm":
            if cid not in self.pins:
                return 500, {"Message": "not pinned or pinned indirectly", "Code": 0, "Type": "error"}
            self.pins.discard(cid)
            return 200, {"Pins": [cid]}
        return 404, {"Message": f"unknown command {path}", "Code": 0, "Type": "error"}

    def start(self) -> FakeIpfs:
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with node.lock:
                    status, reply = node.handle(
                        parts.path, dict(parse_qsl(parts.query)), self.headers.get("Content-Type", ""), body
                    )
                payload = (json.dumps(reply) + "\n").encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # Kubo's RPC API answers 405 to anything but POST
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
