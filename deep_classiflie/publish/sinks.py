"""Where a feed document goes: one interface, a local file (default) and an IPFS node's HTTP API.

A sink is used in three steps (see :func:`deep_classiflie.publish.run.write_feed`): ``locate`` says where a
document will live before anything is written (the file's path; the CID from ``add?only-hash=true``), so the
location can be recorded first; ``put`` stores it; ``retire`` lets go of an older copy (IPFS: unpin it).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import httpx
import tenacity

from deep_classiflie.config.publish import IpfsConfig
from deep_classiflie.core.errors import DeepClassiflieError

log = logging.getLogger(__name__)


class SinkError(DeepClassiflieError):
    """A feed document could not be written to (or retired from) a sink."""


class Sink(Protocol):
    """A place the feed is published to."""

    name: str

    def locate(self, content: bytes) -> str:
        """Where ``content`` will live once put (computed without storing it)."""
        ...

    def put(self, content: bytes) -> str:
        """Store ``content``; returns its location (equal to :meth:`locate`'s)."""
        ...

    def retire(self, location: str) -> None:
        """Let go of an older document at ``location`` (a no-op where a new one replaces it in place)."""
        ...

    def holds(self, location: str) -> bool:
        """Whether the document at ``location`` is still there (cheaply; True when it cannot be told)."""
        ...


def atomic_write(path: Path, content: bytes) -> None:
    """Write ``path`` so readers see the old file or the new one, never a part: temp file, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The writer's pid is in the name, so a temp file a killed writer left can be told from one being written.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # The rename itself is durable only once the folder's entry is on disk.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def drop_orphan_temp_files(path: Path) -> None:
    """Delete temp files of writes a crash interrupted (their writer is gone; they never replaced ``path``)."""
    for temp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = temp.name.removeprefix(f".{path.name}.").split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            temp.unlink(missing_ok=True)


class FileSink:
    """The feed as one local JSON file, replaced atomically."""

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def locate(self, content: bytes) -> str:
        return str(self.path)

    def put(self, content: bytes) -> str:
        try:
            atomic_write(self.path, content)
        except OSError as exc:
            raise SinkError(
                f"cannot write the feed to {self.path}: {exc.strerror or exc}",
                hint="check that the folder exists and is writable, or set publish.feed_path",
            ) from exc
        drop_orphan_temp_files(self.path)
        return str(self.path)

    def retire(self, location: str) -> None:
        return  # the new file replaced the old one in place; files elsewhere (an old feed_path) are left alone

    def holds(self, location: str) -> bool:
        return Path(location).is_file()


_RETRY_STATUS = {429, 502, 503, 504}


class _Retryable(Exception):
    """An IPFS API answer worth another try (overload, gateway errors)."""


def _display(url: str) -> str:
    """The API URL without any user:password part (never shown)."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(username=None, password=None)) if parsed.userinfo else url


class IpfsSink:
    """The feed added to an IPFS node through its HTTP API (Kubo ``/api/v0``), pinned; older copies unpinned."""

    name = "ipfs"

    def __init__(self, cfg: IpfsConfig, *, client: httpx.Client | None = None) -> None:
        self.cfg = cfg
        self.client = client or httpx.Client(base_url=cfg.api_url, timeout=cfg.timeout_s)

    def close(self) -> None:
        self.client.close()

    def _call(self, path: str, params: dict[str, str], content: bytes | None = None) -> httpx.Response:
        """POST one API command with bounded retries (connection errors, timeouts, 429/502/503/504)."""

        @tenacity.retry(
            stop=tenacity.stop_after_attempt(self.cfg.attempts),
            wait=tenacity.wait_exponential(multiplier=self.cfg.backoff_s, max=self.cfg.max_backoff_s),
            retry=tenacity.retry_if_exception_type((httpx.TransportError, _Retryable)),
            reraise=True,
        )
        def attempt() -> httpx.Response:
            files = None if content is None else {"file": ("current_predictions.json", content, "application/json")}
            response = self.client.post(path, params=params, files=files)
            if response.status_code in _RETRY_STATUS:
                raise _Retryable(f"HTTP {response.status_code}")
            return response

        try:
            return attempt()
        except (httpx.TransportError, _Retryable) as exc:
            raise SinkError(
                f"IPFS API {_display(self.cfg.api_url)}{path} failed after {self.cfg.attempts} attempts: {exc}",
                hint="check that the IPFS node runs and publish.ipfs.api_url points at its API port",
            ) from None

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        if response.status_code != 200:
            raise SinkError(
                f"IPFS API refused {what}: HTTP {response.status_code} {_message(response)}",
                hint="see the IPFS node's log",
            )
        try:
            # ``add`` may stream one JSON object per line (progress, then the file); the last one is the file's.
            lines = [line for line in response.text.splitlines() if line.strip()]
            body = json.loads(lines[-1])
        except (ValueError, IndexError) as exc:
            raise SinkError(f"IPFS API answered {what} with no JSON: {exc}", hint="is api_url an IPFS API?") from None
        if not isinstance(body, dict):
            raise SinkError(f"IPFS API answered {what} with {body!r}", hint="is api_url an IPFS API?")
        return body

    def _add(self, content: bytes, *, only_hash: bool) -> str:
        params = {"cid-version": "1", "pin": "false" if only_hash else "true"}
        if only_hash:
            params["only-hash"] = "true"
        body = self._json(self._call("/api/v0/add", params, content), "add")
        cid = body.get("Hash")
        if not isinstance(cid, str) or not cid:
            raise SinkError(f"IPFS add answered without a Hash: {body!r}", hint="is api_url an IPFS API?")
        return cid

    def locate(self, content: bytes) -> str:
        return self._add(content, only_hash=True)

    def put(self, content: bytes) -> str:
        cid = self._add(content, only_hash=False)
        self._json(self._call("/api/v0/pin/add", {"arg": cid}), "pin/add")
        log.info("feed added to IPFS and pinned: %s", cid)
        return cid

    def retire(self, location: str) -> None:
        response = self._call("/api/v0/pin/rm", {"arg": location})
        if response.status_code != 200 and "not pinned" in _message(response):
            return  # already unpinned (a crash after the unpin, before it was recorded)
        self._json(response, "pin/rm")
        log.info("old feed unpinned from IPFS: %s", location)

    def holds(self, location: str) -> bool:
        return True  # a pinned CID stays until we unpin it


def _message(response: httpx.Response) -> str:
    """The error message of an IPFS API answer (its JSON ``Message``, else the body's start)."""
    try:
        body = response.json()
        if isinstance(body, dict) and "Message" in body:
            return str(body["Message"])
    except ValueError:
        pass
    return response.text[:200]
