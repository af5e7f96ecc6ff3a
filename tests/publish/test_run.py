"""The publisher end to end on a tiny model: what it selects, what the feed and the log hold, reruns."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from deep_classiflie.publish.feed import CHANNEL
from deep_classiflie.publish.run import feed_path, make_sinks, publish_once
from deep_classiflie_db.queries import publish as q
from deep_classiflie_db.schema import predictions
from tests.publish.conftest import N_NEW, PublishStore, add_statements

ITEM_KEYS = {
    "statement_id", "text", "date", "type", "source_url", "probability", "label", "bucket", "global_metrics",
    "model_version",
}  # fmt: skip


def read_feed(store: PublishStore) -> dict:
    return json.loads(feed_path(store.config).read_text(encoding="utf-8"))


def test_publishes_new_statements_once_with_labels_at_the_types_threshold(store: PublishStore) -> None:
    report = publish_once(store.engine, store.config, make_sinks(store.config))
    assert (report.published, report.batches, report.feed_items) == (N_NEW, N_NEW // 4 + 1, N_NEW)

    log = q.publication_log(store.engine, channel=CHANNEL)
    # only statements after the test window, no retweet, each once
    assert sorted(r["statement_id"] for r in log) == sorted(store.new_ids)
    assert {r["model_version_id"] for r in log} == {store.model_id}

    feed = read_feed(store)
    assert set(feed) == {"schema", "generated_at", "model", "items"}
    assert feed["schema"] == 1 and feed["model"] == {"id": store.model_id, "name": store.model_name}
    items = feed["items"]
    assert [i["statement_id"] for i in items] == sorted(store.new_ids, reverse=True)  # newest first
    for item in items:
        assert set(item) == ITEM_KEYS
        # thresholds.json: tweets at 1e-9 (all flagged), non-tweets at 1.0 (none)
        assert item["label"] == ("likely falsehood" if item["type"] == "tweet" else "not flagged")
        assert item["model_version"] == store.model_id
        assert item["bucket"]["scope"] == ("tweet" if item["type"] == "tweet" else "non_tweet")
        assert set(item["global_metrics"]) == {"all", item["type"] if item["type"] == "tweet" else "non_tweet"}
        assert item["global_metrics"]["all"] == {"auc": 0.9, "mcc": 0.7}
        assert dt.datetime.fromisoformat(item["date"]) > dt.datetime(2020, 1, 6)
    speech = next(i for i in items if i["type"] == "speech")
    assert speech["source_url"].startswith("https://example.org/s/")
    tweet = next(i for i in items if i["type"] == "tweet")
    number = 1000 + 6 + store.new_ids.index(tweet["statement_id"])  # external ids are 1000 + i, no URL stored
    assert tweet["source_url"] == f"https://twitter.com/i/web/status/{number}"

    # predictions stored with the label the feed shows; the log's payload is the feed item
    with store.engine.connect() as conn:
        stored = {r.statement_id: r for r in conn.execute(sa.select(predictions))}
    for item in items:
        assert stored[item["statement_id"]].predicted_label == int(item["label"] == "likely falsehood")
        assert stored[item["statement_id"]].probability == item["probability"]
    assert sorted((r["payload"] for r in log), key=lambda i: -i["statement_id"]) == items


def test_rerun_publishes_nothing_and_keeps_the_feed_then_picks_up_new_statements(store: PublishStore) -> None:
    sinks = make_sinks(store.config)
    publish_once(store.engine, store.config, sinks)
    before = feed_path(store.config).read_bytes()
    again = publish_once(store.engine, store.config, sinks)
    assert (again.published, again.feed_items) == (0, None)  # nothing new: the feed is not rewritten
    assert feed_path(store.config).read_bytes() == before

    fresh = add_statements(store.engine, 900, 3, day0=dt.datetime(2021, 1, 1))
    third = publish_once(store.engine, store.config, sinks)
    assert third.published == 3 and third.feed_items == N_NEW + 3
    assert [i["statement_id"] for i in read_feed(store)["items"][:3]] == fresh[::-1]
    assert len(q.publication_log(store.engine, channel=CHANNEL)) == N_NEW + 3


def test_feed_keeps_the_newest_n_and_a_missing_file_is_rewritten(store: PublishStore) -> None:
    store.config.publish.feed_size = 5
    sinks = make_sinks(store.config)
    publish_once(store.engine, store.config, sinks)
    assert [i["statement_id"] for i in read_feed(store)["items"]] == sorted(store.new_ids, reverse=True)[:5]
    feed_path(store.config).unlink()
    report = publish_once(store.engine, store.config, sinks)
    assert report.published == 0 and report.feed_items == 5
    assert len(read_feed(store)["items"]) == 5


def test_max_batches_and_since_limit_a_run(store: PublishStore) -> None:
    store.config.publish.max_batches = 2
    report = publish_once(store.engine, store.config, make_sinks(store.config))
    assert report.published == 8  # 2 batches of 4, the oldest first
    published = {r["statement_id"] for r in q.publication_log(store.engine, channel=CHANNEL)}
    assert published == set(store.new_ids[:8])

    store.config.publish.max_batches = None
    store.config.publish.since = dt.datetime(2020, 1, 30)
    rest = publish_once(store.engine, store.config, make_sinks(store.config))
    # new statement k is dated 2020-01-07 + k days: k = 24 … 29 are after the 30th
    assert rest.published == 6
    published = {r["statement_id"] for r in q.publication_log(store.engine, channel=CHANNEL)}
    assert published == set(store.new_ids[:8]) | set(store.new_ids[24:])


def test_an_empty_store_window_writes_an_empty_feed(store: PublishStore) -> None:
    store.config.publish.since = dt.datetime(2030, 1, 1)
    report = publish_once(store.engine, store.config, make_sinks(store.config))
    assert (report.published, report.feed_items) == (0, 0)
    assert read_feed(store)["items"] == []
