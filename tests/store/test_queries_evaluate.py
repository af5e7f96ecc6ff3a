"""Evaluate-stage queries on SQLite and MariaDB: stored predictions, metrics, buckets, NTILE, realised scoring."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.config.evaluate import EvaluateConfig
from deep_classiflie.core.errors import StoreError
from deep_classiflie.evaluate.buckets import confidence, ntile
from deep_classiflie.evaluate.card import build_card
from deep_classiflie.evaluate.realised import realised_report
from deep_classiflie.evaluate.run import evaluate_model, load_bucket_table, split_from_rows
from deep_classiflie_db.queries import evaluate as q
from deep_classiflie_db.queries.bulk import insert_labels
from deep_classiflie_db.schema import predictions, publications
from tests.evaluate.fixtures import T0, FakeModel, Store, populate


@pytest.fixture
def store(engine: Engine) -> Store:
    """The populated store on each engine."""
    return populate(engine)


def _evaluate(store: Store, **config: object) -> None:
    rows = q.split_rows(store.engine, collection_id=store.collection_id, split="test")
    split = split_from_rows(rows, "test")
    cfg = EvaluateConfig(bootstrap_samples=50, **config)  # type: ignore[arg-type]
    evaluate_model(store.engine, cfg, FakeModel(), split, store.model_id, store.collection_id)


def test_model_version_lookup(store: Store) -> None:
    assert q.model_version(store.engine, ref="m1")["id"] == store.model_id
    assert q.model_version(store.engine, ref=str(store.model_id))["name"] == "m1"
    with pytest.raises(StoreError, match="no model version"):
        q.model_version(store.engine, ref="nope")


def test_split_and_labelled_rows(store: Store) -> None:
    rows = q.split_rows(store.engine, collection_id=store.collection_id, split="test")
    assert len(rows) == 40 and [r["statement_id"] for r in rows] == sorted(store.ids[:40])
    labelled = q.labelled_rows(store.engine, date_from=T0, date_to=T0 + dt.timedelta(days=5))
    assert len(labelled) == 10 and all(r["label"] == 1 for r in labelled)


def test_predictions_idempotent_and_metrics_stored(store: Store) -> None:
    _evaluate(store)
    with store.engine.connect() as conn:
        first_ids = dict(conn.execute(sa.select(predictions.c.statement_id, predictions.c.id)).all())
    _evaluate(store, threshold=0.3)  # same (model, statement) pairs: updated in place, ids kept
    with store.engine.connect() as conn:
        again = dict(conn.execute(sa.select(predictions.c.statement_id, predictions.c.id)).all())
    assert again == first_ids and len(again) == 40
    metrics = q.latest_metrics(store.engine, model_version_id=store.model_id, split="test")
    keyed = {(r["scope"], r["metric"]): r for r in metrics}
    assert keyed[("all", "n")]["value"] == 40
    assert keyed[("tweet", "n")]["value"] + keyed[("non_tweet", "n")]["value"] == 40
    auc = keyed[("all", "auc")]
    assert 0 <= auc["ci_low"] <= auc["value"] <= auc["ci_high"] <= 1


def test_results_identical_across_engines(store: Store) -> None:
    """Fixed expected values: the same on SQLite and MariaDB because SQL only selects and stores."""
    _evaluate(store)
    metrics = {
        (r["scope"], r["metric"]): r["value"] for r in q.latest_metrics(store.engine, model_version_id=store.model_id)
    }
    # labels alternate 1,0,…; P = (i % 13) / 12 — computed once with scikit-learn
    split = split_from_rows(q.split_rows(store.engine, collection_id=store.collection_id, split="test"), "test")
    from sklearn.metrics import roc_auc_score

    p = FakeModel().predict_proba(split.texts, split.type_ids)[:, 1]
    assert metrics[("all", "auc")] == pytest.approx(roc_auc_score(split.labels, p))


@pytest.mark.parametrize("scope", ["all", "tweet", "non_tweet"])
def test_pure_ntile_matches_sql_ntile(store: Store, scope: str) -> None:
    _evaluate(store)
    rows = q.prediction_rows(store.engine, model_version_id=store.model_id)
    if scope != "all":
        rows = [r for r in rows if (r["statement_type"] == "tweet") == (scope == "tweet")]
    sql = q.ntile_buckets(store.engine, model_version_id=store.model_id, n_buckets=7, scope=scope)
    ours = ntile(np.array([r["confidence"] for r in rows]), 7, tie_break=np.array([r["statement_id"] for r in rows]))
    assert {r["statement_id"]: int(b) for r, b in zip(rows, ours, strict=True)} == sql


def test_buckets_round_trip_and_lookup(store: Store) -> None:
    _evaluate(store)
    table = load_bucket_table(store.engine, model_version_id=store.model_id)
    assert len(table.by_scope["all"]) == 25 and len(table.by_scope["tweet"]) == 10
    assert sum(b.n for b in table.by_scope["all"]) == 40
    b = table.bucket_for(float(confidence(np.array([0.9]))[0]), "tweet")
    assert b.scope == "tweet" and 0 <= b.accuracy <= 1


def test_card_from_store(store: Store) -> None:
    _evaluate(store)
    card = build_card(store.engine, "m1")
    assert "# Model card: m1" in card and "period_auc" in card and "| all | auc |" in card


def test_realised_scoring(store: Store) -> None:
    _evaluate(store)
    pub_at = T0 + dt.timedelta(days=30)
    with store.engine.begin() as conn:
        pred_ids = dict(conn.execute(sa.select(predictions.c.statement_id, predictions.c.id)).all())
        # publish statements 1, 3, 5 (no labels yet) and 0 (label known before publication)
        conn.execute(
            publications.insert(),
            [
                {"prediction_id": pred_ids[store.ids[i]], "channel": "bot", "status": "ok", "published_at": pub_at}
                for i in (0, 1, 3, 5)
            ],
        )
        conn.execute(sa.update(sa.table("fact_check_labels", sa.column("labelled_at"))).values(labelled_at=T0))
        # a label for statement 3 arrives after publication
        insert_labels(
            conn,
            [
                {
                    "statement_id": store.ids[3],
                    "rating_source": "toronto_star",
                    "source_label": "false",
                    "label_class": 1,
                    "labelled_at": pub_at + dt.timedelta(days=2),
                }
            ],
        )
    report = realised_report(q.realised_rows(store.engine, model_version_id=store.model_id), samples=0)
    assert (report.n_published, report.n_known_before, report.n_labelled_after, report.n_unlabelled) == (4, 1, 1, 2)
    assert {i.statement_id: i.realised_label for i in report.items} == {
        store.ids[1]: 0,
        store.ids[3]: 1,
        store.ids[5]: 0,
    }
