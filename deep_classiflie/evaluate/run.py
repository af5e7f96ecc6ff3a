"""The thin glue of the evaluate stage: score a split with a model, store what the core computed.

The model is anything with ``predict_proba(texts, type_ids) -> [n, K]`` (the trained classifier
satisfies :class:`ProbabilityModel`), the data a :class:`DatasetSplit`; all numbers come from
:func:`deep_classiflie.evaluate.report.evaluate_arrays`, all SQL from
``deep_classiflie_db.queries.evaluate``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy.engine import Engine

from deep_classiflie.config.evaluate import EvaluateConfig
from deep_classiflie.core.errors import DatasetError, ModelError
from deep_classiflie.core.progress import progress
from deep_classiflie.core.text import word_count
from deep_classiflie.dataset.types import TYPE_IDS, DatasetSplit, type_id
from deep_classiflie.evaluate.buckets import BucketStats, BucketTable
from deep_classiflie.evaluate.calibration import Calibration, calibrate, fit_temperature, save_calibration
from deep_classiflie.evaluate.report import EvaluationResult, Predictions, evaluate_arrays, metric_rows
from deep_classiflie.model.thresholds import row_thresholds
from deep_classiflie_db.queries import evaluate as q

log = logging.getLogger(__name__)


class ProbabilityModel(Protocol):
    """What evaluation needs of a model."""

    def predict_proba(self, texts: list[str], type_ids: np.ndarray) -> np.ndarray: ...


def split_meta(split: DatasetSplit) -> list[dict[str, Any]] | None:
    """One metadata dict per row, rebuilt from the snapshot's one-hot block (``None`` when it has none)."""
    from deep_classiflie.model.sparse import decode_meta

    return decode_meta(split.meta, split.meta_names) if split.meta is not None and split.meta_names else None


def _takes_meta(model: ProbabilityModel) -> bool:
    import inspect

    try:
        return "meta" in inspect.signature(model.predict_proba).parameters
    except (TypeError, ValueError):
        return False


def predict(
    model: ProbabilityModel,
    split: DatasetSplit,
    batch_size: int = 256,
    meta: Sequence[Mapping[str, Any]] | None = None,
) -> np.ndarray:
    """``[n, K]`` class probabilities of every row of ``split``, in batches with a progress bar.

    ``meta`` (one dict per row; default: rebuilt from the split's metadata block) feeds heads that read
    metadata; models whose ``predict_proba`` takes no ``meta`` are called without it.
    """
    meta = (meta if meta is not None else split_meta(split)) if _takes_meta(model) else None
    out: list[np.ndarray] = []
    with progress(total=len(split), description=f"scoring {split.name}") as bar:
        for start in range(0, len(split), batch_size):
            stop = start + batch_size
            texts, types = split.texts[start:stop], split.type_ids[start:stop]
            if meta is None:
                raw = model.predict_proba(texts, types)
            else:
                raw = model.predict_proba(texts, types, meta=list(meta[start:stop]))  # type: ignore[call-arg]
            probs = np.asarray(raw)
            if probs.ndim != 2 or len(probs) != len(split.texts[start:stop]):
                raise ModelError(
                    f"predict_proba returned shape {probs.shape} for {len(split.texts[start:stop])} texts",
                    hint="the model must return one row of class probabilities per text",
                )
            out.append(probs)
            bar.advance(len(probs))
    return np.concatenate(out) if out else np.zeros((0, 2))


def task_probabilities(probs: np.ndarray) -> np.ndarray:
    """P(class 1) for a binary task (1-D), the full ``[n, K]`` matrix otherwise."""
    return probs[:, 1] if probs.shape[1] == 2 else probs


def split_from_rows(rows: Sequence[Mapping[str, Any]], name: str) -> DatasetSplit:
    """A :class:`DatasetSplit` from query rows (statement_id, text, label, statement_type, statement_date)."""
    dates = [np.datetime64(r["statement_date"], "s") if r["statement_date"] else np.datetime64("NaT") for r in rows]
    return DatasetSplit(
        name=name,
        statement_ids=np.array([r["statement_id"] for r in rows], dtype=np.int64),
        texts=[str(r["text"]) for r in rows],
        labels=np.array([r["label"] for r in rows], dtype=np.int64),
        type_ids=np.array([type_id(str(r["statement_type"])) for r in rows], dtype=np.int64),
        weights=np.ones(len(rows), dtype=np.float32),
        dates=np.array(dates, dtype="datetime64[s]"),
    )


def as_predictions(split: DatasetSplit, probabilities: np.ndarray) -> Predictions:
    """Pair a split's arrays with its scores."""
    return Predictions(
        statement_ids=np.asarray(split.statement_ids),
        probabilities=probabilities,
        labels=np.asarray(split.labels),
        type_ids=np.asarray(split.type_ids),
        dates=np.asarray(split.dates),
        word_counts=np.array([word_count(t) for t in split.texts], dtype=np.int64),
    )


def fit_calibration(
    model: ProbabilityModel, val: DatasetSplit, config: EvaluateConfig, model_dir: Path | None
) -> Calibration:
    """Fit a temperature on the validation split and write ``calibration.json`` next to the model."""
    cal = fit_temperature(
        val.labels, probabilities=predict(model, val, config.batch_size), bins=config.calibration_bins
    )
    if model_dir is not None:
        save_calibration(cal, model_dir)
    return cal


def evaluate_model(
    engine: Engine,
    config: EvaluateConfig,
    classifier: ProbabilityModel,
    split: DatasetSplit,
    model_version_id: int,
    collection_id: int | None,
    *,
    val_split: DatasetSplit | None = None,
    model_dir: Path | None = None,
    meta: Sequence[Mapping[str, Any]] | None = None,
) -> EvaluationResult:
    """Score ``split``, store predictions, metrics and buckets, and return the result.

    The decision cuts are the model's per-type ``thresholds`` (chosen on validation at training time)
    where it has them, else ``config.threshold``; ``meta``: one metadata dict per row (see :func:`predict`).

    Steps: 1) predict; 2) when ``config.temperature_scaling``, fit T on ``val_split`` and calibrate;
    3) compute everything (pure); 4) store in one transaction.
    """
    thresholds = dict(getattr(classifier, "thresholds", None) or {})
    if len(split) == 0:
        raise DatasetError(
            f"the {split.name} split is empty: nothing to evaluate",
            hint="check the dataset collection's counts, or pick another split with --split",
        )
    # 1) predict
    probs = task_probabilities(predict(classifier, split, config.batch_size, meta))
    # 2) optional temperature scaling, fitted on validation only
    calibration = None
    extra: dict[str, float] = {}
    if config.temperature_scaling:
        if val_split is None or len(val_split) == 0:
            raise DatasetError(
                "temperature scaling needs a non-empty validation split",
                hint="evaluate a collection with a val split, or set evaluate.temperature_scaling=false",
            )
        calibration = fit_calibration(classifier, val_split, config, model_dir)
        uncalibrated = evaluate_arrays(as_predictions(split, probs), config.model_copy(update={"bootstrap_samples": 0}))
        extra["ece_uncalibrated"] = uncalibrated.reliability.ece
        probs = calibrate(probs, calibration.temperature)
    # 3) pure computation
    preds = as_predictions(split, probs)
    result = evaluate_arrays(preds, config, split=split.name, thresholds=thresholds)
    result.calibration, result.extra = calibration, extra
    # 4) store
    store_result(engine, result, preds, config, model_version_id=model_version_id, collection_id=collection_id)
    return result


def prediction_records(preds: Predictions, threshold: float | np.ndarray) -> list[dict[str, Any]]:
    """Rows for the predictions table (multi-class: probability of the predicted class; ``threshold``:
    one cut or one per row)."""
    predicted, conf = preds.predicted(threshold), preds.confidences()
    p = np.asarray(preds.probabilities)
    prob = p if preds.binary else p.max(axis=1)
    return [
        {"statement_id": int(s), "probability": float(pr), "predicted_label": int(pl), "confidence": float(c)}
        for s, pr, pl, c in zip(preds.statement_ids, prob, predicted, conf, strict=True)
    ]


def store_result(
    engine: Engine,
    result: EvaluationResult,
    preds: Predictions,
    config: EvaluateConfig,
    *,
    model_version_id: int,
    collection_id: int | None,
) -> dt.datetime:
    """Write predictions (idempotent), metric history rows, buckets and calibration in one transaction."""
    with engine.begin() as conn:
        inserted, updated = q.upsert_predictions(
            conn, model_version_id=model_version_id, rows=prediction_records(preds, _cuts(preds, result, config))
        )
        stamp = q.insert_metrics(
            conn, model_version_id=model_version_id, collection_id=collection_id, rows=metric_rows(result)
        )
        if result.buckets is not None:
            q.replace_buckets(
                conn,
                model_version_id=model_version_id,
                collection_id=collection_id,
                split=result.split,
                rows=[b.as_row() for b in result.buckets.rows()],
            )
        if result.calibration is not None:
            q.replace_calibration(conn, model_version_id=model_version_id, row=asdict(result.calibration))
    log.info("stored %d new and %d updated predictions of model version %d", inserted, updated, model_version_id)
    return stamp


def _cuts(preds: Predictions, result: EvaluationResult, config: EvaluateConfig) -> np.ndarray:
    """The decision cut of each row as ``evaluate_arrays`` applied it."""
    if not result.thresholds:
        return np.full(len(preds.labels), config.threshold)
    return row_thresholds(preds.type_ids, result.thresholds, TYPE_IDS, config.threshold)


def load_bucket_table(engine: Engine, *, model_version_id: int, split: str = "test") -> BucketTable:
    """The stored confidence buckets of a model version, ready for ``bucket_for``."""
    rows = q.bucket_rows(engine, model_version_id=model_version_id, split=split)
    return BucketTable(BucketStats.from_row(r) for r in rows)
