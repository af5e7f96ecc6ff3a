"""The baseline every ``bench/accuracy.py`` row is compared with: what a practitioner tries first.

TF-IDF of the statement (word 1-2-grams, sublinear tf, scikit-learn defaults otherwise) + logistic
regression (scikit-learn defaults, C = 1), with the task's metadata one-hots appended where the model
reads them, trained on the same training split with the same class weights and scored on the same split.
Binary tasks get their decision threshold per statement type on validation by the same rule as the model.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from deep_classiflie.dataset.types import TYPE_IDS, DatasetSplit


def _block(vectorizer: Any, split: DatasetSplit, use_meta: bool) -> sp.csr_matrix:
    x = vectorizer.transform(split.texts)
    if use_meta and split.meta is not None and split.meta.shape[1]:
        x = sp.hstack([x, sp.csr_matrix(split.meta.astype(np.float32))], format="csr")
    return sp.csr_matrix(x)


def baseline_probabilities(
    train: DatasetSplit,
    scored: dict[str, DatasetSplit],
    *,
    use_meta: bool,
    weights: np.ndarray,
    seed: int = 42,
) -> tuple[dict[str, np.ndarray], float]:
    """``[n, K]`` probabilities of the baseline on each split of ``scored``, and its fit time in seconds.

    Steps: 1) fit the vectorizer on the training texts; 2) the sparse block (+ metadata); 3) fit the
    logistic regression with the (mean-1) training weights; 4) predict every split asked for.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(train.texts)  # 1)
    x_train = _block(vectorizer, train, use_meta)  # 2)
    w = np.asarray(weights, dtype=np.float64)
    model = LogisticRegression(max_iter=2000, random_state=seed)
    model.fit(x_train, train.labels, sample_weight=w / w.mean())  # 3)
    out = {name: model.predict_proba(_block(vectorizer, split, use_meta)) for name, split in scored.items()}  # 4)
    return out, time.perf_counter() - started


def baseline_thresholds(
    val: DatasetSplit,
    val_probabilities: np.ndarray,
    objective: str,
    *,
    bootstrap: int = 0,
    seed: int = 42,
    min_per_class: int = 1,
) -> dict[str, float]:
    """The baseline's per-type cuts on validation (binary tasks), by the model's own rule."""
    from deep_classiflie.model.thresholds import choose_thresholds

    if val_probabilities.shape[1] != 2:
        return {}
    p = val_probabilities[:, 1]
    return choose_thresholds(
        val.labels, p, val.type_ids, TYPE_IDS, objective, bootstrap=bootstrap, seed=seed, min_per_class=min_per_class
    )
