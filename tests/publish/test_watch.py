"""The watch loop in-process: it follows the active model and survives a store outage."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

from deep_classiflie.publish.feed import CHANNEL
from deep_classiflie.publish.run import PublishReport, make_sinks
from deep_classiflie.publish.watch import watch
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.queries import publish as q
from deep_classiflie_db.queries.models import activate_model_version, register_model_version
from tests.publish.conftest import N_NEW, PublishStore, add_statements


def test_watch_publishes_each_run_and_follows_the_activated_model(store: PublishStore) -> None:
    store.config.publish.interval_s = 0.01
    second = register_model_version(
        store.engine, name="tiny-publish-2", kind="head_on_cached_features", task="falsehood_binary",
        encoder="tiny", path=str(Path(store.config.paths.data_dir).parent / "model"), weights_sha256="1" * 64,
        config={}, dataset_collection_id=None,
    )  # fmt: skip
    activate_model_version(store.engine, model_version_id=store.model_id)
    stop = threading.Event()
    reports: list[PublishReport] = []

    def on_run(report: PublishReport) -> None:
        reports.append(report)
        if len(reports) == 1:
            add_statements(store.engine, 900, 2, day0=dt.datetime(2022, 1, 1))
        elif len(reports) == 2:
            activate_model_version(store.engine, model_version_id=second)
        else:
            stop.set()

    assert watch(store.engine, store.config, make_sinks(store.config), stop, on_run=on_run) == 3
    assert [(r.model_id, r.published) for r in reports] == [
        (store.model_id, N_NEW),
        (store.model_id, 2),
        # the second model has no dataset (no test window): every dated, non-retweet statement
        (second, N_NEW + 2 + 6),
    ]
    assert len(q.publication_log(store.engine, channel=CHANNEL, model_version_id=store.model_id)) == N_NEW + 2


def test_watch_logs_a_store_outage_and_keeps_going(store: PublishStore, tmp_path: Path, caplog) -> None:
    store.config.publish.interval_s = 0.01
    gone = make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'store.sqlite'}", check=False)
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    with caplog.at_level(logging.WARNING, logger="deep_classiflie.publish.watch"):
        runs = watch(gone, store.config, make_sinks(store.config), stop)
    timer.cancel()
    assert runs == 0
    failures = [r for r in caplog.records if "publish run failed; retrying" in r.getMessage()]
    assert len(failures) >= 2  # it tried again after the first failure
    assert "SELECT" not in failures[0].getMessage()  # no SQL or parameters in the log line


def test_the_default_sink_is_the_feed_file_under_the_data_dir(store: PublishStore) -> None:
    (sink,) = make_sinks(store.config)
    assert sink.locate(b"") == str(Path(store.config.paths.data_dir) / "feed" / "current_predictions.json")
