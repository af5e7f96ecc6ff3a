"""Two publishers at once on one store: the unique key turns the race into a retry, never a double publication."""

from __future__ import annotations

import threading

from deep_classiflie.publish.feed import CHANNEL
from deep_classiflie.publish.run import PublishReport, load_model, make_sinks, publish_once
from deep_classiflie_db.queries import publish as q
from tests.publish.conftest import PublishStore


def test_two_publishers_publish_each_statement_once(store: PublishStore) -> None:
    store.config.publish.feed_every_batches = 1000  # the race is over the log; feed writes would only serialise
    models = [load_model(store.engine, store.config) for _ in range(2)]
    start = threading.Barrier(2)
    reports: list[PublishReport] = []
    errors: list[BaseException] = []

    def publisher(i: int) -> None:
        try:
            start.wait(timeout=60)
            reports.append(publish_once(store.engine, store.config, make_sinks(store.config), model=models[i]))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=publisher, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    published = [r["statement_id"] for r in q.publication_log(store.engine, channel=CHANNEL)]
    assert sorted(published) == sorted(store.new_ids)  # each once
    assert sum(r.published for r in reports) == len(store.new_ids)
