"""The linear half of a hybrid head: logistic regression on the sparse block, stacked under the MLP.

Why stacking: a linear model on 10⁴–10⁵ TF-IDF columns and an MLP on 384 dense dimensions overfit at
very different speeds, so training them jointly with one optimiser and one early stop serves neither.
Instead:

1. Fit the block (TF-IDF vocabulary + idf on the training texts; metadata columns as the snapshot has them).
2. Pick the L2 strength ``C`` by k-fold cross-validation on the training split (log-loss of the held-out
   folds), never on validation; keep those out-of-fold logits.
3. Refit on the whole training split: these weights become the head's ``extra_linear``.
4. ``combine: average`` (default): the MLP trains alone (early stopping on validation), and the head mixes
   the logits, ``(1 - mix) · MLP + mix · linear`` (``mix: auto``: chosen by out-of-fold log-loss on the
   training split, see ``deep_classiflie.train.mix``; never tuned on validation): on MediaEval and LIAR this
   beat stacking, which let the MLP dilute the stronger linear block.
   ``combine: stack``: the MLP trains with the linear logits as a fixed offset (``MLP + gain ⊙ offset``):
   out-of-fold logits on train (so it learns what the linear model misses on rows it did not see), the
   refit's logits on validation.

Class balancing: the split's per-row weights (oversampled copies or class weights), normalised to mean 1
so they do not silently change the regularisation strength.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from deep_classiflie.config import Config
from deep_classiflie.core.errors import ModelError
from deep_classiflie.dataset.types import DatasetSplit
from deep_classiflie.model.head import ClassifierHead
from deep_classiflie.model.sparse import ExtraFeatures, TfidfSettings, fit_extra_features
from deep_classiflie.train.head import LinearBlock, TrainResult, evaluate_head, training_weights

log = logging.getLogger(__name__)


@dataclass
class LinearFit:
    """The fitted linear model: weights ``[out_dim, dim]``, bias ``[out_dim]``, and its logits."""

    weight: np.ndarray
    bias: np.ndarray
    c: float
    cv_loss: dict[float, float]
    train_oof_logits: np.ndarray | None  # [n_train, out_dim], each row from a model that did not see it

    def logits(self, x: sp.csr_matrix) -> np.ndarray:
        """``[n, out_dim]`` logits of the refit model."""
        return np.asarray(x @ self.weight.T, dtype=np.float32) + self.bias.astype(np.float32)


def _logits(model: object, x: sp.csr_matrix, num_classes: int) -> np.ndarray:
    raw = np.asarray(model.decision_function(x), dtype=np.float32)  # type: ignore[attr-defined]
    return raw.reshape(-1, 1) if num_classes == 2 else raw


def weighted_log_loss(logits: np.ndarray, y: np.ndarray, w: np.ndarray, num_classes: int) -> float:
    if num_classes == 2:
        z = logits[:, 0]
        per = np.logaddexp(0.0, -z) * (y == 1) + np.logaddexp(0.0, z) * (y == 0)
    else:
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        per = -logp[np.arange(len(y)), y]
    return float((per * w).sum() / w.sum())


def fold_indices(labels: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified ``(fit rows, held-out rows)`` pairs: ``folds`` of them, fewer when a class has fewer rows."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels, dtype=np.int64)
    n_folds = max(2, min(folds, int(np.bincount(y).min())))
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def _model(c: float, seed: int) -> object:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, random_state=seed)


def fit_linear(
    x: sp.csr_matrix,
    labels: np.ndarray,
    weights: np.ndarray,
    *,
    num_classes: int,
    cs: list[float],
    folds: int,
    seed: int,
    out_of_fold: bool = True,
) -> LinearFit:
    """Steps 2 and 3 of the module docstring: ``C`` by cross-validation on train, out-of-fold logits, refit.

    With one ``C`` and ``out_of_fold=False`` there is nothing to cross-validate: one fit."""
    y = np.asarray(labels, dtype=np.int64)
    present = np.unique(y)
    if len(present) != num_classes or present.tolist() != list(range(num_classes)):
        raise ModelError(
            f"the training split has classes {present.tolist()} of {num_classes}",
            hint="every class needs training rows; check the dataset's label map and splits",
        )
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.mean() if w.mean() > 0 else np.ones_like(w)
    out_dim = 1 if num_classes == 2 else num_classes
    fold_index = fold_indices(y, folds, seed)
    n_folds = len(fold_index)
    best_c, best_loss, best_oof = cs[0], float("inf"), np.zeros((len(y), out_dim), np.float32)
    cv_loss: dict[float, float] = {}
    for c in cs if (out_of_fold or len(cs) > 1) else []:
        oof = np.zeros((len(y), out_dim), dtype=np.float32)
        for tr, te in fold_index:
            model = _model(c, seed)
            model.fit(x[tr], y[tr], sample_weight=w[tr])  # type: ignore[attr-defined]
            oof[te] = _logits(model, x[te], num_classes)
        cv_loss[c] = weighted_log_loss(oof, y, w, num_classes)
        if cv_loss[c] < best_loss:
            best_c, best_loss, best_oof = c, cv_loss[c], oof
    model = _model(best_c, seed)
    model.fit(x, y, sample_weight=w)  # type: ignore[attr-defined]
    coef = np.asarray(model.coef_, dtype=np.float32)  # type: ignore[attr-defined]
    bias = np.asarray(model.intercept_, dtype=np.float32)  # type: ignore[attr-defined]
    log.info("linear block: C=%s by %d-fold CV (log-loss %s)", best_c, n_folds, cv_loss)
    return LinearFit(
        weight=coef.reshape(out_dim, -1),
        bias=bias.reshape(out_dim),
        c=best_c,
        cv_loss=cv_loss,
        train_oof_logits=best_oof if cv_loss else None,
    )


def head_features(config: Config) -> list[str]:
    """Which extra blocks the head reads: ``train.hybrid.features``, else the task YAML's ``head_features``."""
    if config.train.hybrid.features is not None:
        return list(config.train.hybrid.features)
    from deep_classiflie.dataset.tasks import load_task

    return list(load_task(config.dataset).head_features)


def build_linear_block(
    config: Config, splits: dict[str, DatasetSplit], num_classes: int
) -> tuple[ExtraFeatures | None, LinearBlock | None, dict[str, Any]]:
    """Steps 1-3 of the module docstring for the splits ``train`` and ``val``; ``(None, None, {})`` when the
    head reads no extra block (or the task's snapshot has no metadata and TF-IDF is off)."""
    wanted = head_features(config)
    train, val = splits["train"], splits["val"]
    use_meta = "meta" in wanted and train.meta is not None and len(train.meta_names) > 0
    tfidf_cfg = config.train.hybrid.tfidf
    settings = TfidfSettings(**tfidf_cfg.model_dump()) if "tfidf" in wanted else None
    if settings is None and not use_meta:
        return None, None, {}
    featurizer = fit_extra_features(train.texts, tfidf=settings, meta_names=train.meta_names if use_meta else ())
    blocks = {s.name: featurizer.transform(s.texts, meta_block=s.meta if use_meta else None) for s in (train, val)}
    weights = training_weights(train, config.train.class_weight)
    fit = fit_linear(
        blocks["train"],
        train.labels,
        weights,
        num_classes=num_classes,
        cs=config.train.hybrid.cs,
        folds=config.train.hybrid.folds,
        seed=config.train.seed,
        out_of_fold=config.train.hybrid.combine == "stack" or config.train.hybrid.mix == "auto",
    )
    offsets = {val.name: fit.logits(blocks["val"])}
    if fit.train_oof_logits is not None:
        offsets[train.name] = fit.train_oof_logits
    linear = LinearBlock(weight=fit.weight, bias=fit.bias, offsets=offsets)
    info = {
        "extra_features": {
            "blocks": (["tfidf"] if settings else []) + (["meta"] if use_meta else []),
            "tfidf_vocabulary": featurizer.tfidf_dim,
            "meta_columns": len(featurizer.meta_names),
            "combine": config.train.hybrid.combine,
            "mix": config.train.hybrid.mix,
            "linear_c": fit.c,
            "linear_cv_loss": {str(k): round(v, 5) for k, v in fit.cv_loss.items()},
        }
    }
    return featurizer, linear, info


def average_head(
    result: TrainResult, linear: LinearBlock, val: DatasetSplit, val_feats: np.ndarray, *, mix: float, smoothing: float
) -> TrainResult:
    """Step 4 (``average``): the trained MLP head and the linear model as one hybrid head.

    ``(1 - mix) · MLP + mix · linear`` is the head's own forward pass: the MLP's output layer scaled by
    ``1 - mix``, the linear weights in ``extra_linear``, ``gain = mix``; validation metrics and
    probabilities are recomputed for the mixture (the thresholds are chosen on them).
    """
    cfg = replace(result.head_config, extra_dim=int(linear.weight.shape[1]))
    state = dict(result.state_dict)
    state["classifier.weight"] = state["classifier.weight"] * (1.0 - mix)
    state["classifier.bias"] = state["classifier.bias"] * (1.0 - mix)
    state["extra_linear.weight"] = torch.as_tensor(linear.weight, dtype=torch.float32)
    state["extra_linear.bias"] = torch.as_tensor(linear.bias, dtype=torch.float32)
    state["extra_gain"] = torch.full((cfg.out_dim,), float(mix))
    head = ClassifierHead(cfg)
    head.load_state_dict(state)
    metrics, probs = evaluate_head(
        head,
        torch.as_tensor(val_feats, dtype=torch.float32),
        torch.as_tensor(val.type_ids, dtype=torch.long),
        torch.as_tensor(val.labels, dtype=torch.long),
        smoothing=smoothing,
        offset=torch.as_tensor(linear.offsets[val.name], dtype=torch.float32),
    )
    return TrainResult(
        state_dict=head.state_dict(),
        head_config=cfg,
        history=result.history,
        best_epoch=result.best_epoch,
        val_metrics=metrics,
        val_probabilities=probs,
    )
