"""A small scored store for the dashboards: statements, labels, a collection, two evaluated model versions.

Everything the explorers read is written by the real stages' code: statements and labels through the
ingest queries, predictions/metrics/buckets through ``evaluate_model``, attribution cards through the
explain queries. The "model" scores each statement from a fixed table, so the store is deterministic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Engine

from deep_classiflie.config.evaluate import EvaluateConfig
from deep_classiflie.evaluate.run import evaluate_model, split_from_rows
from deep_classiflie_db.queries import evaluate as q
from deep_classiflie_db.queries.bulk import insert_labels
from deep_classiflie_db.queries.explain import record_explanation
from deep_classiflie_db.queries.ingest import ensure_source, insert_statements, statement_ids
from deep_classiflie_db.schema import dataset_collections, dataset_members, model_versions

T0 = dt.datetime(2019, 7, 1)
XSS = """<script>window.__xss=1</script><img src=x onerror="window.__xss=2">"""
XSS_INDEX = 5  # a test-split statement whose text is the payload
LIQUID = "{% endraw %}{{ site.title }} {% include nothing.html %} and the economy"
LIQUID_INDEX = 10  # Liquid in a statement must reach the page as text, never steer Jekyll
SMALL_BUCKETS = {"all": 4, "non_tweet": 4, "tweet": 3}


@dataclass
class Store:
    engine: Engine
    ids: list[int]
    collection_id: int
    model_ids: list[int]
    labels: dict[int, int]


class TableModel:
    """Returns a fixed P(falsehood) per text (the evaluate stage only needs ``predict_proba``)."""

    def __init__(self, prob_by_text: dict[str, float]) -> None:
        self.prob_by_text = prob_by_text

    def predict_proba(self, texts: list[str], type_ids: np.ndarray) -> np.ndarray:
        p = np.array([self.prob_by_text[t] for t in texts])
        return np.stack([1 - p, p], axis=1)


def statement_text(i: int) -> str:
    if i == LIQUID_INDEX:
        return LIQUID
    return XSS if i == XSS_INDEX else f"statement {i} says something about topic {i % 7} and the economy"


def _model(engine: Engine, name: str, collection_id: int) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                model_versions.insert().values(
                    name=name,
                    kind="head_on_cached_features",
                    task="falsehood_binary",
                    encoder="tiny",
                    path="/nowhere",
                    weights_sha256="0" * 64,
                    config={"train": {"epochs": 1}},
                    dataset_collection_id=collection_id,
                    created_at=T0,
                )
            ).inserted_primary_key[0]
        )


def build_store(
    engine: Engine, n: int = 96, *, buckets: dict[str, int] | None = None, explain: bool = True, days: float = 0.75
) -> Store:
    """``n`` statements (every third a tweet) over ``n * days`` days; 3/4 in the test split; two model versions."""
    with engine.begin() as conn:
        src = ensure_source(conn, name="viz-test", kind="label_source")
        rows = [
            {
                "source_id": src,
                "external_id": f"s{i}",
                "text": statement_text(i),
                "text_hash": f"{i:064d}",
                "statement_date": T0 + dt.timedelta(days=i * days),
                "statement_type": "tweet" if i % 3 == 0 else ("speech" if i % 3 == 1 else "remarks"),
                "word_count": 10,
                "meta": {"url": "https://example.org/s1"}
                if i == 1
                else ({"url": "javascript:alert(1)"} if i == 2 else None),
            }
            for i in range(n)
        ]
        insert_statements(conn, rows)
        by_ext = statement_ids(conn, source_id=src, external_ids=[f"s{i}" for i in range(n)])
        ids = [by_ext[f"s{i}"] for i in range(n)]
        labels = {ids[i]: int((i * 7) % 5 < 2) for i in range(n)}
        insert_labels(
            conn,
            [
                {"statement_id": sid, "rating_source": "cnn", "source_label": "false", "label_class": 1}
                for sid, y in labels.items()
                if y
            ],
        )
        coll = int(
            conn.execute(
                dataset_collections.insert().values(
                    name="viz",
                    task="falsehood_binary",
                    content_hash="v" * 64,
                    config={},
                    counts={},
                    report=None,
                    created_at=T0,
                )
            ).inserted_primary_key[0]
        )
        conn.execute(
            dataset_members.insert(),
            [
                {
                    "collection_id": coll,
                    "statement_id": ids[i],
                    "split": "val" if i % 4 == 0 else "test",
                    "label": labels[ids[i]],
                }
                for i in range(n)
            ],
        )
    cfg = EvaluateConfig(buckets=buckets or SMALL_BUCKETS, bootstrap_samples=0)
    split = split_from_rows(q.split_rows(engine, collection_id=coll, split="test"), "test")
    model_ids = []
    for k, name in enumerate(("m1", "m2")):
        mid = _model(engine, name, coll)
        # Informative but noisy: the label shifts p by ±0.2 (more for the second model), noise ±0.4.
        probs = {
            statement_text(i): float(
                np.clip(
                    0.5 + (labels[ids[i]] - 0.5) * (0.4 + 0.2 * k) + (((i * 37) % 100) / 100 - 0.5) * 0.8, 0.01, 0.99
                )
            )
            for i in range(n)
        }
        evaluate_model(engine, cfg, TableModel(probs), split, mid, coll)
        model_ids.append(mid)
    if explain:
        _cards(engine, model_ids[-1], [ids[1], ids[XSS_INDEX]])
    return Store(engine, ids, coll, model_ids, labels)


def _cards(engine: Engine, model_id: int, statement_ids: list[int]) -> None:
    """Attribution cards (schema 1, the fields the explorer reads) for a few statements."""
    with engine.begin() as conn:
        for sid in statement_ids:
            words = [
                {"word": "<b>bold</b>", "score": 0.9, "start": 0, "end": 11},
                {"word": "economy", "score": -0.4, "start": 12, "end": 19},
            ]
            card = {"schema": 1, "model": {"id": model_id, "name": "m2"}, "statement": {"id": sid}, "words": words}
            record_explanation(
                conn, model_version_id=model_id, statement_id=sid, text_hash=f"{sid:064d}", card=card, files={}
            )
