"""After training: choose the per-type decision thresholds on validation and write ``thresholds.json``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from deep_classiflie.config import Config
from deep_classiflie.dataset.types import TYPE_IDS, DatasetSplit
from deep_classiflie.model.classifier import Classifier, FactClassifier
from deep_classiflie.model.sparse import ExtraFeatures, decode_meta
from deep_classiflie.model.thresholds import choose_thresholds, save_thresholds, sparse_types

log = logging.getLogger(__name__)


def val_thresholds(
    model: FactClassifier,
    tokenizer: Any,
    featurizer: ExtraFeatures | None,
    val: DatasetSplit,
    config: Config,
    num_classes: int,
    folder: Path,
    val_probabilities: np.ndarray | None = None,
) -> dict[str, float]:
    """Thresholds per statement type (binary tasks; ``{}`` for multi-class ones, which take the arg-max).

    ``val_probabilities`` are the kept epoch's (head on cached features); without them (fine-tuned
    models) the model scores the validation texts end to end.
    """
    objective = config.train.threshold_objective
    if num_classes != 2 or len(val) == 0:
        return {}
    if val_probabilities is None:
        classifier = Classifier(model, tokenizer, model.head.cfg, folder, folder, featurizer=featurizer)
        meta = decode_meta(val.meta, val.meta_names) if val.meta is not None else None
        val_probabilities = classifier.predict_proba(val.texts, val.type_ids, meta)
    p = np.asarray(val_probabilities)[:, 1]
    thresholds = choose_thresholds(
        val.labels,
        p,
        val.type_ids,
        TYPE_IDS,
        objective,
        bootstrap=config.train.threshold_bootstrap,
        seed=config.train.seed,
        min_per_class=config.train.threshold_min_per_class,
    )
    counts = {name: int((np.asarray(val.type_ids) == tid).sum()) for name, tid in TYPE_IDS.items()}
    info: dict[str, Any] = {
        "split": "val",
        "n": len(val),
        "counts": counts,
        "bootstrap": config.train.threshold_bootstrap,
        "min_per_class": config.train.threshold_min_per_class,
    }
    fallback = sparse_types(val.labels, val.type_ids, TYPE_IDS, config.train.threshold_min_per_class)
    if fallback:  # these types use the cut of all rows
        info["uses_all"] = fallback
        log.info("too few validation rows for a cut of their own (they take the cut of all rows): %s", fallback)
    save_thresholds(folder, thresholds, objective=objective, info=info)
    log.info("decision thresholds by %s on validation: %s", objective, thresholds)
    return thresholds
