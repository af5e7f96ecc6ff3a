"""The explain stage's entry point: statements in, interpretation cards (schema 1 dicts) out.

``build_cards(engine, model_row, classifier, items, config)`` is what the CLI, the service, the dashboards
and the bot call. Steps per chunk of statements: 1) probabilities (``Classifier.predict_proba``, so a card
shows exactly what ``predict`` and the service show) and the label at the model's threshold for the
statement's type; 2) integrated-gradients attributions, merged to words and normalised; 3) pre-classifier
features → nearest labelled training statements; 4) the confidence bucket and global metrics stored by the
model's evaluation. The store is only read here; recording cards is the caller's choice
(``deep_classiflie_db.queries.explain.record_explanation``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from deep_classiflie.config.explain import ExplainConfig
from deep_classiflie.core.errors import DataSourceError, DeepClassiflieError
from deep_classiflie.dataset.types import check_statement_type, type_id
from deep_classiflie.explain import card as c
from deep_classiflie.explain.attribution import TokenAttribution, attribute
from deep_classiflie.explain.similar import Reference, load_reference, similar_statements
from deep_classiflie.explain.words import merge_to_words, normalise_scores, top_word
from deep_classiflie.model.classifier import Classifier


@dataclass(frozen=True)
class ExplainInput:
    """One statement to explain. ``actual_label``: its fact-check class (or class name); None = not yet checked."""

    text: str
    statement_type: str
    statement_id: int | None = None
    date: dt.datetime | dt.date | str | None = None
    actual_label: int | str | None = None
    source_url: str | None = None


# Training features per (model version id, weights hash), kept for the process (the service explains often).
_REFERENCES: dict[tuple[int, str], Reference | None] = {}
_REFERENCES_LOCK = threading.Lock()


def reference_for(
    engine: Engine, model_row: Mapping[str, Any], classifier: Classifier, cache_dir: Path | None
) -> Reference | None:
    """The model version's labelled training statements and features (memoised; cached on disk)."""
    key = (int(model_row["id"]), str(model_row.get("weights_sha256") or ""))
    with _REFERENCES_LOCK:
        if key not in _REFERENCES:
            _REFERENCES[key] = load_reference(engine, model_row, classifier, cache_dir)
        return _REFERENCES[key]


def check_inputs(items: Sequence[ExplainInput]) -> None:
    """Every statement has words and a known statement type; else a DataSourceError naming the first bad one."""
    for i, item in enumerate(items):
        where = f"statement {item.statement_id}" if item.statement_id is not None else f"input {i + 1}"
        if not item.text or not item.text.strip():
            raise DataSourceError(f"{where} is empty: nothing to explain", hint="pass the statement's words")
        check_statement_type(item.statement_type)


def build_cards(
    engine: Engine,
    model_row: Mapping[str, Any],
    classifier: Classifier,
    items: Sequence[ExplainInput],
    config: ExplainConfig,
    *,
    cache_dir: Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """One card (schema 1) per item, in order.

    ``cache_dir``: where the training features are cached (default: ``explain_cache/`` in the model folder).
    ``on_progress(n)`` is called after each chunk of ``config.batch_size`` statements with its size.
    """
    check_inputs(items)
    if cache_dir is None:
        cache_dir = Path(str(model_row["path"])) / "explain_cache"
    reference = reference_for(engine, model_row, classifier, cache_dir) if config.n_similar else None
    buckets = _bucket_table(engine, int(model_row["id"]), config.metrics_split)
    metrics = _global_metrics(engine, int(model_row["id"]), config.metrics_split)
    cards: list[dict[str, Any]] = []
    for start in range(0, len(items), config.batch_size):
        chunk = list(items[start : start + config.batch_size])
        cards.extend(_chunk_cards(model_row, classifier, chunk, config, reference, buckets, metrics))
        if on_progress is not None:
            on_progress(len(chunk))
    return cards


def _chunk_cards(
    model_row: Mapping[str, Any],
    classifier: Classifier,
    items: list[ExplainInput],
    config: ExplainConfig,
    reference: Reference | None,
    buckets: Any,
    metrics: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    texts = [i.text for i in items]
    types = np.array([type_id(i.statement_type) for i in items], dtype=np.int64)
    meta = [{"statement_type": i.statement_type, "date": i.date, "source": i.source_url} for i in items]
    # 1) the prediction, as `predict` and the service make it.
    probs = classifier.predict_proba(texts, types, meta)
    # 2) attributions; a hybrid head's extra block is a constant input, not attributed.
    extra = classifier.extra_features(texts, types, meta)
    attributions = attribute(classifier, texts, types, config, extra=extra)
    # 3) similar training statements, by the model's own pre-classifier features.
    similar = similar_statements(
        reference,
        classifier.features(texts, types) if reference is not None else np.zeros((len(items), 0)),
        config.n_similar,
        own_ids=[i.statement_id for i in items],
        label_names=c.BINARY_LABELS if classifier.num_classes == 2 else {},
    )
    out = []
    for item, p, attr, near in zip(items, probs, attributions, similar, strict=True):
        prediction = c.prediction_part(p, classifier.threshold_for(item.statement_type))
        confidence = float(prediction["confidence"] or 0.0)
        out.append(
            _card(
                model_row, classifier, item, prediction, attr, near, _bucket(buckets, confidence, item), metrics, config
            )
        )
    return out


def _card(
    model_row: Mapping[str, Any],
    classifier: Classifier,
    item: ExplainInput,
    prediction: dict[str, Any],
    attr: TokenAttribution,
    similar: list[dict[str, Any]],
    bucket: dict[str, Any] | None,
    metrics: dict[str, dict[str, Any]],
    config: ExplainConfig,
) -> dict[str, Any]:
    words = merge_to_words(item.text, attr.offsets, attr.scores)
    scaled = normalise_scores(np.array([w["score"] for w in words]), config.normalisation)
    for w, s in zip(words, scaled, strict=True):
        w["score"] = float(s)
    return c.assemble_card(
        model=model_row,
        statement={
            "id": item.statement_id,
            "text": item.text,
            "type": item.statement_type,
            "date": item.date,
            "actual_label": c.label_name(item.actual_label, classifier.num_classes),
            "source_url": item.source_url,
        },
        prediction=prediction,
        words=words,
        top_word=top_word(words),
        bucket=bucket,
        global_metrics=metrics,
        similar=similar,
        attribution={
            "method": "layer_integrated_gradients",
            "layer": "input embeddings",
            "target": c.target_name(attr.target, classifier.num_classes),
            "baseline": config.baseline,
            "n_steps": attr.n_steps,
            "precision": attr.precision,
            "integration": config.method,
            "normalisation": config.normalisation,
            "delta": attr.delta,
            "target_value": attr.target_value,
            "baseline_value": attr.baseline_value,
            "raw_sum": float(np.sum(attr.scores)),
        },
    )


def _bucket_table(engine: Engine, model_version_id: int, split: str) -> Any:
    from deep_classiflie.evaluate.run import load_bucket_table

    table = load_bucket_table(engine, model_version_id=model_version_id, split=split)
    return table if len(table) else None


def _bucket(table: Any, confidence: float, item: ExplainInput) -> dict[str, Any] | None:
    if table is None:
        return None
    try:
        return c.bucket_part(table.bucket_for(confidence, item.statement_type))
    except DeepClassiflieError:
        return None


def _global_metrics(engine: Engine, model_version_id: int, split: str) -> dict[str, dict[str, Any]]:
    from deep_classiflie_db.queries.evaluate import latest_metrics

    return c.global_metrics_part(latest_metrics(engine, model_version_id=model_version_id, split=split))
