"""The pure metrics agree with scikit-learn on random data, one row or many bootstrap rows at once."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from deep_classiflie.evaluate.metrics import (
    BINARY_METRICS,
    binary_metrics,
    confusion_matrices,
    multiclass_metrics,
    roc_auc,
    with_bootstrap,
)


@st.composite
def binary_data(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 60))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1  # both classes present, so AUC is defined
    # coarse scores make ties common, which is where AUC implementations differ
    p = np.round(rng.random(n), draw(st.integers(1, 3)))
    return y, p


@pytest.mark.filterwarnings("ignore:A single label")
@settings(max_examples=60, deadline=None)
@given(binary_data())
def test_binary_metrics_match_sklearn(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    pred = (p >= 0.5).astype(int)
    ours = binary_metrics(y, p)
    assert ours["auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert ours["mcc"] == pytest.approx(skm.matthews_corrcoef(y, pred), abs=1e-12)
    assert ours["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert ours["recall"] == pytest.approx(skm.recall_score(y, pred))
    if pred.sum():
        assert ours["precision"] == pytest.approx(skm.precision_score(y, pred))
    else:
        assert np.isnan(ours["precision"])
    assert ours["f1"] == pytest.approx(skm.f1_score(y, pred, zero_division=0.0))
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel() / len(y)
    assert (ours["tp_ratio"], ours["tn_ratio"], ours["fp_ratio"], ours["fn_ratio"]) == pytest.approx((tp, tn, fp, fn))


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 80), st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_multiclass_metrics_match_sklearn(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    probs = rng.dirichlet(np.ones(k), n)
    pred = probs.argmax(axis=1)
    ours = multiclass_metrics(y, probs)
    assert ours["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert ours["macro_f1"] == pytest.approx(skm.f1_score(y, pred, average="macro", zero_division=0.0))
    assert ours["mcc"] == pytest.approx(skm.matthews_corrcoef(y, pred), abs=1e-12)
    assert (confusion_matrices(y, pred, k) == skm.confusion_matrix(y, pred, labels=list(range(k)))).all()


def test_batched_rows_equal_row_by_row() -> None:
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, (7, 40)), rng.random((7, 40))
    batched = binary_metrics(y, p)
    for i in range(7):
        single = binary_metrics(y[i], p[i])
        for key in BINARY_METRICS:
            assert batched[key][i] == pytest.approx(single[key], nan_ok=True)
    k_probs = rng.dirichlet(np.ones(4), (5, 30))
    k_y = rng.integers(0, 4, (5, 30))
    multi = multiclass_metrics(k_y, k_probs)
    assert multi["macro_f1"][3] == pytest.approx(multiclass_metrics(k_y[3], k_probs[3])["macro_f1"])


def test_auc_undefined_with_one_class() -> None:
    assert np.isnan(roc_auc(np.ones(5), np.linspace(0, 1, 5)))


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    a = with_bootstrap(y, p, samples=300, seed=7)
    b = with_bootstrap(y, p, samples=300, seed=7)
    assert a == b
    for est in a.values():
        assert est.ci_low <= est.value <= est.ci_high
    assert a["auc"].value == pytest.approx(skm.roc_auc_score(y, p))
    assert a["auc"].ci_high - a["auc"].ci_low < 0.2


def test_bootstrap_multiclass_and_no_samples() -> None:
    rng = np.random.default_rng(2)
    y, probs = rng.integers(0, 3, 50), rng.dirichlet(np.ones(3), 50)
    out = with_bootstrap(y, probs, samples=50, seed=1)
    assert set(out) == {"accuracy", "macro_f1", "mcc"}
    bare = with_bootstrap(y, probs, samples=0)
    assert np.isnan(bare["accuracy"].ci_low)
