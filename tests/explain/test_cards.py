"""Card data of a fixed tiny model against a golden file; bucket, metrics, thresholds and labels from the store.

Regenerate the golden file after an intended change: ``DC_UPDATE_GOLDEN=1 pytest tests/explain/test_cards.py``
(then read the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from deep_classiflie.config.explain import ExplainConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie.evaluate.buckets import BucketStats
from deep_classiflie.explain.api import ExplainInput, build_cards
from deep_classiflie.explain.card import SCHEMA
from deep_classiflie.model.resolve import load_registered
from deep_classiflie_db.queries import evaluate as qe
from tests.explain.conftest import Trained, fixed_in_store, train_in_store

GOLDEN = Path(__file__).parent / "golden" / "card_tiny.json"
KEYS = {
    "schema",
    "model",
    "statement",
    "prediction",
    "words",
    "top_word",
    "bucket",
    "global_metrics",
    "similar",
    "attribution",
}


def _bucket(scope: str, bucket: int, lo: float, hi: float, n: int, acc: float) -> dict[str, Any]:
    stats = BucketStats(
        scope=scope,
        bucket=bucket,
        n=n,
        min_confidence=lo,
        max_confidence=hi,
        accuracy=acc,
        ppv=acc - 0.1,
        npv=float("nan"),
        ppr=0.5,
        npr=0.5,
        tp_ratio=0.2,
        tn_ratio=0.3,
        fp_ratio=0.1,
        fn_ratio=0.4,
        mean_word_count=7.0,
    )
    return stats.as_row()


def _store_evaluation(sqlite_engine: Engine, t: Trained) -> None:
    """An evaluation's buckets and metrics, stored for the model version."""
    with sqlite_engine.begin() as conn:
        qe.replace_buckets(
            conn,
            model_version_id=t.model_id,
            collection_id=None,
            split="test",
            rows=[
                _bucket("all", 1, 0.5, 0.75, 30, 0.6),
                _bucket("all", 2, 0.75, 1.0, 30, 0.9),
                _bucket("tweet", 1, 0.5, 1.0, 12, 0.7),
            ],
        )
        qe.insert_metrics(
            conn,
            model_version_id=t.model_id,
            collection_id=None,
            rows=[
                {"split": "test", "scope": "all", "metric": "auc", "value": 0.81, "ci_low": None, "ci_high": None},
                {"split": "test", "scope": "tweet", "metric": "mcc", "value": 0.4, "ci_low": None, "ci_high": None},
                {"split": "test", "scope": "bucket:3", "metric": "acc", "value": 0.1, "ci_low": None, "ci_high": None},
            ],
        )


@pytest.fixture
def trained(sqlite_engine: Engine, encoder_path: Path, tmp_path: Path) -> Trained:
    """The tiny model trained in a store, with an evaluation stored for it."""
    t = train_in_store(sqlite_engine, encoder_path, tmp_path)
    _store_evaluation(sqlite_engine, t)
    return t


def _items(t: Trained) -> list[ExplainInput]:
    test = t.splits["test"]
    return [
        ExplainInput(test.texts[1], "speech", statement_id=t.test_ids[1], date="2020-03-03", actual_label=1),
        ExplainInput("fake news, the wall! 😀 https://t.co/x", "tweet"),
    ]


def _stable(card: dict[str, Any]) -> dict[str, Any]:
    """The card without what differs between runs by design (the model's timestamped name, the store's ids)."""
    out = json.loads(json.dumps(card))
    out["model"]["name"] = "<model name>"
    return out


def _assert_close(actual: Any, expected: Any, path: str = "card") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), path
        for k in expected:
            _assert_close(actual[k], expected[k], f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _assert_close(a, e, f"{path}[{i}]")
    elif isinstance(expected, float) and not isinstance(actual, bool):
        assert actual == pytest.approx(expected, abs=1e-4), path
    else:
        assert actual == expected, path


def test_cards_match_the_golden_file(sqlite_engine: Engine, encoder_path: Path, tmp_path: Path) -> None:
    """A fixed (untrained, seeded) tiny model, so the golden file depends on the explain stage only."""
    fixed, row, clf = fixed_in_store(sqlite_engine, encoder_path, tmp_path)
    _store_evaluation(sqlite_engine, fixed)
    # fp32, fixed steps: the golden numbers must not depend on whether this CPU has bf16 kernels
    config = ExplainConfig(n_steps=32, adaptive=False, precision="fp32")
    cards = build_cards(sqlite_engine, row, clf, _items(fixed), config)
    assert (tmp_path / "model" / "explain_cache").is_dir()  # training features cached beside the model
    stable = [_stable(c) for c in cards]
    if os.environ.get("DC_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(stable, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    _assert_close(stable, expected)


def test_card_content_from_the_store(trained: Trained) -> None:
    row, clf = load_registered(trained.engine, trained.model_id)
    clf.thresholds = {"tweet": 0.99}  # the model's own threshold for the type decides the label
    labelled, free = build_cards(trained.engine, row, clf, _items(trained), ExplainConfig(n_steps=16))
    for card in (labelled, free):
        assert set(card) >= KEYS and card["schema"] == SCHEMA
        assert card["model"] == {"id": trained.model_id, "name": row["name"]}
        assert [w["word"] for w in card["words"]] == card["statement"]["text"].split()
        assert max(abs(w["score"]) for w in card["words"]) == pytest.approx(1.0)  # max-abs normalised
        assert card["top_word"] in card["statement"]["text"].split()
        assert card["global_metrics"] == {"all": {"auc": 0.81}, "tweet": {"mcc": 0.4}}  # no per-bucket scopes
        assert len(card["similar"]) == 5
        assert {s["statement_id"] for s in card["similar"]} <= set(trained.train_ids)
        assert [s["distance"] for s in card["similar"]] == sorted(s["distance"] for s in card["similar"])
        assert abs(card["attribution"]["delta"]) < 0.01 and card["attribution"]["n_steps"] == 16
    assert labelled["statement"]["actual_label"] == "falsehood" and labelled["statement"]["date"] == "2020-03-03"
    assert free["statement"]["actual_label"] is None and free["statement"]["actual_label_display"] == (
        "not yet fact-checked"
    )
    # a labelled statement is never its own neighbour
    assert trained.test_ids[1] not in {s["statement_id"] for s in labelled["similar"]}
    assert free["prediction"]["threshold"] == 0.99 and free["prediction"]["label"] == "not flagged"
    assert labelled["prediction"]["threshold"] == 0.5  # speech: no stored threshold → the default
    # the confidence bucket of the statement's scope: tweets have one bucket of their own
    assert free["bucket"]["scope"] == "tweet" and free["bucket"]["n"] == 12 and free["bucket"]["npv"] is None
    conf = labelled["prediction"]["confidence"]
    assert labelled["bucket"]["scope"] == "all" and labelled["bucket"]["bucket"] == (1 if conf <= 0.75 else 2)


def test_same_probability_as_predict(trained: Trained) -> None:
    import numpy as np

    row, clf = load_registered(trained.engine, trained.model_id)
    items = _items(trained)
    cards = build_cards(trained.engine, row, clf, items, ExplainConfig(n_steps=8, n_similar=0))
    probs = clf.predict_proba([i.text for i in items], np.array([1, 0]))[:, 1]
    assert [c["prediction"]["probability"] for c in cards] == pytest.approx(probs.tolist(), abs=1e-6)
    assert all(c["similar"] == [] for c in cards)


def test_bad_inputs_are_clear_errors(trained: Trained) -> None:
    row, clf = load_registered(trained.engine, trained.model_id)
    with pytest.raises(DataSourceError, match="input 2 is empty"):
        build_cards(
            trained.engine, row, clf, [ExplainInput("ok", "tweet"), ExplainInput(" ", "tweet")], ExplainConfig()
        )
    with pytest.raises(DataSourceError, match="unknown statement type 'blog'"):
        build_cards(trained.engine, row, clf, [ExplainInput("ok", "blog")], ExplainConfig())


def test_a_finetuned_folder_explains(sqlite_engine: Engine, encoder_path: Path, tmp_path: Path) -> None:
    """Fine-tuned folders (encoder weights changed, thaw schedule) load and attribute like head-only ones."""
    t = train_in_store(sqlite_engine, encoder_path, tmp_path, full=True)
    row, clf = load_registered(sqlite_engine, t.model_id)
    assert row["kind"] == "finetuned"
    (card,) = build_cards(sqlite_engine, row, clf, _items(t)[:1], ExplainConfig(n_steps=32))
    a = card["attribution"]
    assert abs(a["raw_sum"] - (a["target_value"] - a["baseline_value"]) - a["delta"]) < 1e-4
    assert abs(a["delta"]) < 0.01 and len(card["similar"]) == 5
