"""A small populated store for evaluate tests: statements, labels, a collection, a model version."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Engine

from deep_classiflie_db.queries.bulk import insert_labels
from deep_classiflie_db.queries.ingest import ensure_source, insert_statements, statement_ids
from deep_classiflie_db.schema import dataset_collections, dataset_members, model_versions

N = 60
T0 = dt.datetime(2019, 7, 8)


@dataclass
class Store:
    engine: Engine
    ids: list[int]
    collection_id: int
    model_id: int


class FakeModel:
    """Probabilities that depend on the statement text only (deterministic, with ties)."""

    def predict_proba(self, texts: list[str], type_ids: np.ndarray) -> np.ndarray:
        p = np.array([(int(t.split()[1]) % 13) / 12 for t in texts])
        return np.stack([1 - p, p], axis=1)


def populate(engine: Engine) -> Store:
    """60 statements (every third a tweet), every second labelled false, a collection and a model version."""
    with engine.begin() as conn:
        src = ensure_source(conn, name="test", kind="label_source")
        rows = [
            {
                "source_id": src,
                "external_id": f"s{i}",
                "text": f"statement {i} says something about the economy",
                "text_hash": f"{i:064d}",
                "statement_date": T0 + dt.timedelta(days=i // 4),
                "statement_type": "tweet" if i % 3 == 0 else "speech",
                "word_count": 7,
            }
            for i in range(N)
        ]
        insert_statements(conn, rows)
        ids_map = statement_ids(conn, source_id=src, external_ids=[f"s{i}" for i in range(N)])
        ids = [ids_map[f"s{i}"] for i in range(N)]
        insert_labels(
            conn,
            [
                {"statement_id": ids[i], "rating_source": "cnn", "source_label": "false", "label_class": 1}
                for i in range(0, N, 2)
            ],
        )
        coll = conn.execute(
            dataset_collections.insert().values(
                name="c",
                task="falsehood_binary",
                content_hash="h" * 64,
                config={"splits": [0.5, 0.0, 0.5]},
                counts={"test": {"0": 15, "1": 15}},
                report={"leakage": {"period_auc": 0.61}},
                created_at=T0,
            )
        ).inserted_primary_key[0]
        conn.execute(
            dataset_members.insert(),
            [
                {
                    "collection_id": coll,
                    "statement_id": ids[i],
                    "split": "test" if i < 40 else "val",
                    "label": 1 - i % 2,
                }
                for i in range(N)
            ],
        )
        model = conn.execute(
            model_versions.insert().values(
                name="m1",
                kind="head_on_cached_features",
                task="falsehood_binary",
                encoder="tiny",
                path="/nowhere",
                weights_sha256="0" * 64,
                config={"train": {"epochs": 3, "lr": 0.001}},
                dataset_collection_id=coll,
                created_at=T0,
            )
        ).inserted_primary_key[0]
    return Store(engine, ids, int(coll), int(model))
