"""The IPFS sink against a fake Kubo API on 127.0.0.1 (real HTTP, multipart add), alone and in the publisher."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from deep_classiflie.config.publish import IpfsConfig
from deep_classiflie.publish.run import feed_path, make_sinks, publish_once
from deep_classiflie.publish.sinks import IpfsSink, SinkError
from deep_classiflie_db.queries import publish as q
from tests.publish.conftest import PublishStore, add_statements
from tests.publish.ipfs_server import FakeIpfs, fake_cid

DOC = b'{"schema":1,"items":[]}\n'


def sink_for(url: str, **kw: object) -> IpfsSink:
    return IpfsSink(IpfsConfig.model_validate({"api_url": url, "backoff_s": 0, "attempts": 3, **kw}))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_add_pin_and_unpin(ipfs: FakeIpfs) -> None:
    sink = sink_for(ipfs.url)
    cid = sink.locate(DOC)
    assert cid == fake_cid(DOC) and cid not in ipfs.blocks  # only-hash stores nothing
    assert sink.put(DOC) == cid
    assert ipfs.blocks[cid] == DOC and ipfs.pins == {cid}
    assert ipfs.count("/api/v0/pin/add") == 1
    sink.retire(cid)
    assert ipfs.pins == set()
    sink.retire(cid)  # already unpinned (a crash after the unpin): not an error


def test_overload_answers_are_retried_a_bounded_number_of_times(ipfs: FakeIpfs) -> None:
    sink = sink_for(ipfs.url)
    ipfs.fail("/api/v0/add", 503, 502)
    assert sink.put(DOC) == fake_cid(DOC)
    assert ipfs.count("/api/v0/add") == 3
    ipfs.fail("/api/v0/pin/rm", 503, 503, 503, 503)
    with pytest.raises(SinkError, match="failed after 3 attempts"):
        sink.retire(fake_cid(DOC))
    assert ipfs.count("/api/v0/pin/rm") == 3


def test_a_refused_command_is_a_sink_error_with_the_nodes_message(ipfs: FakeIpfs) -> None:
    ipfs.fail("/api/v0/pin/add", 500)  # Kubo answers command errors with 500 and a JSON Message: not retried
    with pytest.raises(SinkError, match="refused pin/add: HTTP 500 temporarily unavailable"):
        sink_for(ipfs.url).put(DOC)
    assert ipfs.count("/api/v0/pin/add") == 1


def test_unreachable_node_fails_after_bounded_attempts_without_showing_credentials() -> None:
    sink = sink_for(f"http://publisher:s3cret@127.0.0.1:{closed_port()}", attempts=2)
    with pytest.raises(SinkError) as info:
        sink.locate(DOC)
    assert "failed after 2 attempts" in str(info.value)
    assert "s3cret" not in str(info.value) and "publisher:" not in str(info.value)


def test_publisher_keeps_exactly_the_current_feed_pinned(store: PublishStore, ipfs: FakeIpfs) -> None:
    store.config.publish.sinks = ["file", "ipfs"]
    store.config.publish.ipfs.api_url = ipfs.url
    sinks = make_sinks(store.config)
    first = publish_once(store.engine, store.config, sinks)
    cid1 = first.locations["ipfs"]
    assert ipfs.pins == {cid1}
    assert ipfs.blocks[cid1] == feed_path(store.config).read_bytes()  # the same document in both sinks

    # a crash after pinning a document, before it was promoted, leaves a "writing" row: the next run unpins it
    orphan = b'{"orphan":true}\n'
    sinks[1].put(orphan)
    q.begin_snapshot(
        store.engine, sink="ipfs", model_version_id=store.model_id, location=fake_cid(orphan),
        sha256="0" * 64, n_items=0, last_publication_id=None,
    )  # fmt: skip
    add_statements(store.engine, 900, 2, day0=dt.datetime(2022, 1, 1))
    second = publish_once(store.engine, store.config, sinks)
    cid2 = second.locations["ipfs"]
    assert second.published == 2 and cid2 != cid1
    assert ipfs.pins == {cid2}  # the old feed and the orphan unpinned
    assert q.current_snapshot(store.engine, sink="ipfs")["location"] == cid2  # type: ignore[index]
    assert q.retirable_snapshots(store.engine, sink="ipfs") == []
