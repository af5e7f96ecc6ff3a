"""The model's per-type thresholds decide labels in evaluate (metrics, stored predictions, buckets) and predict."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pytest
import sqlalchemy as sa

from deep_classiflie.config.evaluate import EvaluateConfig
from deep_classiflie.dataset.types import TYPE_IDS
from deep_classiflie.evaluate.report import Predictions, evaluate_arrays
from deep_classiflie.evaluate.run import evaluate_model, split_from_rows
from deep_classiflie_db.queries import evaluate as q
from deep_classiflie_db.schema import predictions
from tests.evaluate.fixtures import FakeModel, populate

CUTS = {"all": 0.3, "tweet": 0.2, "non_tweet": 0.7}


def _preds() -> Predictions:
    p = np.array([0.25, 0.15, 0.6, 0.8, 0.4, 0.1])
    return Predictions(
        statement_ids=np.arange(6),
        probabilities=p,
        labels=np.array([1, 0, 0, 1, 1, 0]),
        type_ids=np.array([0, 0, 1, 1, 0, 1]),
        dates=np.full(6, np.datetime64("NaT"), dtype="datetime64[s]"),
        word_counts=np.full(6, 10),
    )


def test_metrics_at_the_chosen_thresholds_and_at_one_half() -> None:
    result = evaluate_arrays(_preds(), EvaluateConfig(bootstrap_samples=0), thresholds=CUTS)
    # at the cuts: tweet rows 0.25≥0.2 → 1, 0.15 → 0, 0.4 → 1; spoken 0.6<0.7 → 0, 0.8 → 1, 0.1 → 0: all right
    assert result.metrics["all"]["accuracy"].value == 1.0 and result.metrics["all"]["mcc"].value == 1.0
    # at 0.5: 0.25 and 0.4 (positives) missed, 0.6 (negative) flagged → 3 of 6 right
    assert result.metrics["all"]["accuracy@0.5"].value == pytest.approx(0.5)
    assert result.metrics["tweet"]["threshold"].value == 0.2 and result.metrics["non_tweet"]["threshold"].value == 0.7
    assert result.confusion["all"] == [[3, 0], [0, 3]]
    assert result.thresholds == CUTS
    # buckets count a prediction as the cut made it
    table = result.buckets
    assert table is not None
    assert sum(b.ppr * b.n for b in table.by_scope["all"]) == pytest.approx(3)
    plain = evaluate_arrays(_preds(), EvaluateConfig(bootstrap_samples=0))
    assert plain.metrics["all"]["accuracy"].value == pytest.approx(0.5) and "accuracy@0.5" not in plain.metrics["all"]


def test_bootstrap_resamples_the_per_row_cuts_with_their_rows() -> None:
    result = evaluate_arrays(_preds(), EvaluateConfig(bootstrap_samples=50), thresholds=CUTS)
    est = result.metrics["all"]["accuracy"]
    assert est.value == 1.0 and est.ci_low == 1.0  # every resample is classified right at its own rows' cuts


@dataclass
class ThresholdModel(FakeModel):
    thresholds: dict[str, float] = field(default_factory=lambda: {"tweet": 0.05, "non_tweet": 0.95})


def test_evaluate_model_stores_labels_at_the_models_thresholds(engine) -> None:
    store = populate(engine)
    rows = q.split_rows(engine, collection_id=store.collection_id, split="test")
    assert "meta" in rows[0]
    split = split_from_rows(rows, "test")
    cfg = EvaluateConfig(bootstrap_samples=0)
    model = ThresholdModel()
    evaluate_model(engine, cfg, model, split, store.model_id, store.collection_id)
    with engine.connect() as conn:
        got = dict(conn.execute(sa.select(predictions.c.statement_id, predictions.c.predicted_label)).all())
    p = model.predict_proba(split.texts, split.type_ids)[:, 1]
    tweet = split.type_ids == TYPE_IDS["tweet"]
    expected = np.where(tweet, p >= 0.05, p >= 0.95).astype(int)
    assert [got[int(s)] for s in split.statement_ids] == expected.tolist()
    stored = {
        (r["scope"], r["metric"]) for r in q.latest_metrics(engine, model_version_id=store.model_id, split="test")
    }
    assert {("tweet", "threshold"), ("all", "mcc@0.5")} <= stored


class _Classifier:
    thresholds = {"tweet": 0.1, "non_tweet": 0.9}

    def predict_proba(self, texts, type_ids, meta=None):
        return np.tile([0.5, 0.5], (len(texts), 1))

    def threshold_for(self, statement_type: str) -> float:
        return self.thresholds["tweet" if statement_type == "tweet" else "non_tweet"]


def test_predict_cli_uses_the_types_threshold(monkeypatch, tmp_path, capsys) -> None:
    from deep_classiflie.cli.main import main
    from deep_classiflie.model import resolve
    from deep_classiflie_db import migrate
    from deep_classiflie_db.engine import make_engine

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    migrate.upgrade(make_engine(url))
    monkeypatch.setenv("DC_DB_URL", url)
    monkeypatch.setattr(resolve, "load_registered", lambda engine, ref=None, **kw: ({"name": "m"}, _Classifier()))
    assert main(["predict", "--json", "--type", "tweet", "the economy is great"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == "likely falsehood"  # 0.5 ≥ tweet cut 0.1
    assert main(["predict", "--json", "--type", "speech", "the economy is great"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == "not flagged"  # 0.5 < non-tweet cut 0.9


def test_evaluate_output_names_types_on_the_all_rows_cut(tmp_path, capsys) -> None:
    from types import SimpleNamespace

    from deep_classiflie.cli.evaluate import _print_result
    from deep_classiflie.model.classifier import fallback_notes, load_fallbacks
    from deep_classiflie.model.thresholds import save_thresholds

    cuts = {"all": 0.43, "tweet": 0.43, "non_tweet": 0.52}
    save_thresholds(tmp_path, cuts, objective="mcc", info={"uses_all": {"tweet": "13 of class 1 (fewer than 30)"}})
    result = SimpleNamespace(split="test", n=3, metrics={}, reliability=SimpleNamespace(ece=0.1), thresholds=cuts)
    _print_result("m", result, fallback_notes(load_fallbacks(tmp_path)))
    out = capsys.readouterr().out
    assert "decision thresholds (chosen on validation): all 0.430, non_tweet 0.520, tweet 0.430" in out
    assert "tweet: the cut of all rows (13 of class 1 (fewer than 30) in validation" in out
    _print_result("m", result)  # no notes
    assert "the cut of all rows" not in capsys.readouterr().out
