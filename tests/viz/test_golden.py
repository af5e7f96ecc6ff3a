"""Golden data tests: what each explorer embeds equals what the store holds (not pixels), on SQLite and MariaDB."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from deep_classiflie.config import Config
from deep_classiflie.viz.build import build_dashboards, write_dashboards
from deep_classiflie_db.queries.publish import record_publications
from deep_classiflie_db.schema import confidence_buckets, dataset_members, metric_history, predictions, statements
from tests.viz.store import LIQUID_INDEX, XSS, XSS_INDEX, Store, build_store

GOLDEN = Path(__file__).parent / "golden"


def _config(tmp_path: Path, **viz: object) -> Config:
    return Config.model_validate({"paths": {"data_dir": str(tmp_path / "dc")}, "viz": {"samples_per_bucket": 3, **viz}})


def _source(layout, name: str) -> dict:
    return dict(layout.select_one({"name": name}).data)


def _scored_ids(store: Store, model_id: int) -> list[int]:
    query = (
        sa.select(dataset_members.c.statement_id)
        .join(predictions, predictions.c.statement_id == dataset_members.c.statement_id)
        .where(
            dataset_members.c.collection_id == store.collection_id,
            dataset_members.c.split == "test",
            predictions.c.model_version_id == model_id,
        )
        .order_by(dataset_members.c.statement_id)
    )
    with store.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def _stored_n(store: Store, model_id: int) -> dict[tuple[str, int], int]:
    query = sa.select(confidence_buckets.c.scope, confidence_buckets.c.bucket, confidence_buckets.c.n).where(
        confidence_buckets.c.model_version_id == model_id
    )
    with store.engine.connect() as conn:
        return {(s, b): n for s, b, n in conn.execute(query)}


@pytest.fixture
def store(engine) -> Store:
    return build_store(engine)


def test_prediction_explorer_embeds_the_scored_split_buckets_and_sample(store: Store, tmp_path: Path) -> None:
    dash = build_dashboards(store.engine, _config(tmp_path))
    mid = store.model_ids[-1]
    assert dash.model["id"] == mid  # the newest model version when none is named
    full = _source(dash.layouts["prediction"], "full")
    # 1) every scored test statement, once, with its stored prediction
    assert full["statement_id"] == _scored_ids(store, mid)
    with store.engine.connect() as conn:
        stored = {
            sid: (p, lab)
            for sid, p, lab in conn.execute(
                sa.select(predictions.c.statement_id, predictions.c.probability, predictions.c.predicted_label).where(
                    predictions.c.model_version_id == mid
                )
            )
        }
    for sid, p, pred in zip(full["statement_id"], full["probability"], full["predicted"], strict=True):
        assert p == pytest.approx(stored[sid][0])
        assert pred == ("likely falsehood" if stored[sid][1] else "not flagged")
    # 2) rows per statement-type bucket = the stored bucket sizes
    counts = Counter(
        ("tweet" if t == "tweet" else "non_tweet", b) for t, b in zip(full["type"], full["bucket"], strict=True)
    )
    stored_n = _stored_n(store, mid)
    assert counts == Counter({k: v for k, v in stored_n.items() if k[0] != "all"})
    # 3) the seeded sample of the extreme buckets (golden: positions in the store's insertion order)
    sampled = {store.ids.index(s): g for s, g in zip(full["statement_id"], full["groups"], strict=True) if g}
    golden = json.loads((GOLDEN / "prediction_sample.json").read_text())
    assert {str(k): v for k, v in sampled.items()} == golden
    assert _source(dash.layouts["prediction"], "shown")["statement_id"] == [store.ids[i] for i in sorted(sampled)]
    # 4) attributions only where a card is stored, exactly the card's words; text as stored
    words = {s: w for s, w in zip(full["statement_id"], full["words"], strict=True) if w}
    assert set(words) == {store.ids[1], store.ids[XSS_INDEX]}
    assert json.loads(words[store.ids[1]]) == [
        {"word": "<b>bold</b>", "score": 0.9},
        {"word": "economy", "score": -0.4},
    ]
    assert full["text"][full["statement_id"].index(store.ids[XSS_INDEX])] == XSS


def test_performance_explorer_counts_per_week_and_bucket_match_the_store(store: Store, tmp_path: Path) -> None:
    dash = build_dashboards(store.engine, _config(tmp_path))
    mid = store.model_ids[-1]
    layout = dash.layouts["performance"]
    stored_n = _stored_n(store, mid)
    for scope in ("all", "non_tweet", "tweet"):
        per_bucket = _source(layout, f"buckets_{scope}")
        assert dict(zip(per_bucket["bucket"], per_bucket["n"], strict=True)) == {
            b: n for (s, b), n in stored_n.items() if s == scope
        }
    # Weeks from the raw rows, counted here independently (Monday-start weeks of the statement date).
    query = (
        sa.select(
            statements.c.statement_date,
            statements.c.statement_type,
            dataset_members.c.label,
            predictions.c.predicted_label,
        )
        .join(dataset_members, dataset_members.c.statement_id == statements.c.id)
        .join(predictions, predictions.c.statement_id == statements.c.id)
        .where(predictions.c.model_version_id == mid, dataset_members.c.split == "test")
    )
    with store.engine.connect() as conn:
        raw = conn.execute(query).all()
    for scope in ("all", "tweet"):
        want: Counter[tuple[str, str]] = Counter()
        for date, stype, label, pred in raw:
            if scope == "all" or stype == "tweet":
                monday = (date - dt.timedelta(days=date.weekday())).strftime("%Y-%m-%d")
                want[(monday, {(1, 1): "TP", (0, 0): "TN", (0, 1): "FP", (1, 0): "FN"}[(label, pred)])] += 1
        weekly = _source(layout, f"weekly_{scope}")
        got = Counter()
        for i, start in enumerate(weekly["start_label"]):
            for k in ("TP", "TN", "FP", "FN"):
                if weekly[k][i]:
                    got[(start, k)] = weekly[k][i]
        assert got == want
    # Calibration: the curve's ECE is the one the evaluate stage stored.
    with store.engine.connect() as conn:
        ece = conn.execute(
            sa.select(metric_history.c.value).where(
                metric_history.c.model_version_id == mid, metric_history.c.metric == "ece"
            )
        ).scalar_one()
    assert dash.facts["ece"] == pytest.approx(ece)
    assert sum(_source(layout, "reliability")["n"]) == len(_scored_ids(store, mid))
    # Metric history: AUC and MCC of both model versions.
    history = {tuple(_source(layout, f"history_{i}")["series"][:1]): _source(layout, f"history_{i}") for i in range(2)}
    with store.engine.connect() as conn:
        stored_auc = dict(
            conn.execute(
                sa.select(metric_history.c.model_version_id, metric_history.c.value).where(
                    metric_history.c.metric == "auc", metric_history.c.scope == "all"
                )
            ).all()
        )
    auc = history[("auc · viz (test)",)]
    assert auc["model"] == [f"#{m}" for m in store.model_ids] and auc["name"] == ["m1", "m2"]
    assert auc["value"] == pytest.approx([stored_auc[m] for m in store.model_ids])


def test_current_explorer_reads_the_predictions_until_a_feed_exists(store: Store, tmp_path: Path) -> None:
    cfg = _config(tmp_path, current_limit=10)
    dash = build_dashboards(store.engine, cfg)
    current = _source(dash.layouts["current"], "full")
    assert "stored predictions" in dash.facts["current_origin"]
    assert len(current["statement_id"]) == 10
    assert current["date"] == sorted(current["date"], reverse=True)  # newest said first
    # Once the publisher logged publications, they are the rows (newest first), with the payload's URL.
    with store.engine.begin() as conn:
        rows = [
            {
                "statement_id": store.ids[i],
                "probability": 0.7,
                "predicted_label": 1,
                "confidence": 0.7,
                "payload": {"source_url": url},
            }
            for i, url in ((90, "https://example.org/90"), (91, "javascript:alert(1)"))
        ]
        record_publications(conn, model_version_id=store.model_ids[-1], channel="feed", rows=rows)
    dash = build_dashboards(store.engine, cfg)
    current = _source(dash.layouts["current"], "full")
    assert "publisher's log" in dash.facts["current_origin"]
    assert sorted(current["statement_id"]) == sorted([store.ids[90], store.ids[91]])
    by_id = dict(zip(current["statement_id"], current["url"], strict=True))
    assert by_id == {store.ids[90]: "https://example.org/90", store.ids[91]: ""}
    # The feed file wins, and only http(s) URLs survive.
    feed_path = tmp_path / "dc" / "feed" / "current_predictions.json"
    feed_path.parent.mkdir(parents=True)
    items = [
        {
            "statement_id": 1,
            "text": XSS,
            "date": "2020-01-02",
            "type": "tweet",
            "source_url": "javascript:alert(1)",
            "probability": 0.9,
            "label": "likely falsehood",
            "bucket": {"accuracy": 0.8, "ppv": 0.7},
            "global_metrics": {},
            "model_version": "m2",
        },
        {
            "statement_id": 2,
            "text": "b",
            "date": "2020-01-01",
            "type": "speech",
            "source_url": "https://example.org/b",
            "probability": 0.2,
            "label": "not flagged",
            "bucket": None,
            "global_metrics": {},
            "model_version": "m2",
        },
    ]
    feed_path.write_text(
        json.dumps(
            {"schema": 1, "generated_at": "2020-01-03T00:00:00", "model": {"id": 2, "name": "m2"}, "items": items}
        )
    )
    dash = build_dashboards(store.engine, cfg)
    current = _source(dash.layouts["current"], "full")
    assert "feed" in dash.facts["current_origin"]
    assert current["statement_id"] == [1, 2]
    assert current["url"] == ["", "https://example.org/b"]
    assert current["bucket_accuracy"][0] == 0.8
    feed_path.write_text("{not json")
    from deep_classiflie.core.errors import DataSourceError

    with pytest.raises(DataSourceError, match="not readable JSON"):
        build_dashboards(store.engine, cfg)


def test_written_files_reference_bokehjs_from_the_site_only(store: Store, tmp_path: Path) -> None:
    dash = build_dashboards(store.engine, _config(tmp_path))
    out = tmp_path / "dash"
    written = write_dashboards(dash, out)
    assert sorted(written) == ["current", "performance", "prediction"]
    for name in written:
        page = (out / f"{name}.html").read_text()
        assert 'src="./static/js/bokeh.min.js"' in page
        assert "cdn." not in page and "site-packages" not in page
        assert (out / f"{name}.div.html").is_file() and "<script" in (out / f"{name}.script.html").read_text()
        assert XSS not in page and "{% endraw %}" not in page.replace("{% endraw %}{{", "")  # raw payload never inlined
    assert sorted(p.name for p in (out / "static" / "js").iterdir()) == [
        "bokeh-tables.min.js",
        "bokeh-widgets.min.js",
        "bokeh.min.js",
    ]
    assert LIQUID_INDEX  # the Liquid statement is in the store (its page-level check is in test_site)
