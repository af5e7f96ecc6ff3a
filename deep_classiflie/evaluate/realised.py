"""Realised performance: how published predictions fared once fact-checks caught up.

A publication is *realised-scored* only with labels that became known after it was published
(``labelled_at``, else the ingest time of the label). Steps per publication:
1) a label known at or before publication → left out (the answer was public already);
2) a falsehood label after publication → realised label 1;
3) no label yet → realised label 0, "not (yet) found", which is noisy by nature: the report
   counts these separately so a reader can discount them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from deep_classiflie.evaluate.metrics import Estimate, with_bootstrap


@dataclass(frozen=True)
class RealisedItem:
    """One published prediction with its realised label."""

    publication_id: int
    channel: str
    statement_id: int
    statement_type: str
    published_at: dt.datetime
    probability: float
    predicted_label: int
    realised_label: int
    labelled_after: bool  # a label arrived after publication (else: none yet)


@dataclass(frozen=True)
class RealisedReport:
    """Counts and metrics of realised performance."""

    n_published: int
    n_known_before: int
    n_labelled_after: int
    n_unlabelled: int
    items: list[RealisedItem]
    metrics: dict[str, Estimate]
    confirmed_of_predicted_false: float  # realised precision of published falsehood predictions


def match_labels(rows: Iterable[Mapping[str, object]]) -> tuple[list[RealisedItem], int]:
    """Group publication×label rows (from ``queries.evaluate.realised_rows``) into realised items.

    Returns the items and how many publications were left out because a label was known first.
    """
    by_pub: dict[int, list[Mapping[str, object]]] = {}
    for row in rows:
        by_pub.setdefault(int(row["publication_id"]), []).append(row)  # type: ignore[call-overload]
    items, known_before = [], 0
    for pub_id, group in by_pub.items():
        first = group[0]
        published = first["published_at"]
        labelled = [r for r in group if r["label_class"] is not None]
        before = [r for r in labelled if r["label_time"] is None or r["label_time"] <= published]  # type: ignore[operator]
        if before:
            known_before += 1
            continue
        realised = max((int(r["label_class"]) for r in labelled), default=0)  # type: ignore[call-overload]
        items.append(
            RealisedItem(
                publication_id=pub_id,
                channel=str(first["channel"]),
                statement_id=int(first["statement_id"]),  # type: ignore[call-overload]
                statement_type=str(first["statement_type"]),
                published_at=published,  # type: ignore[arg-type]
                probability=float(first["probability"]),  # type: ignore[arg-type]
                predicted_label=int(first["predicted_label"]),  # type: ignore[call-overload]
                realised_label=realised,
                labelled_after=bool(labelled),
            )
        )
    return items, known_before


def realised_report(
    rows: Iterable[Mapping[str, object]], *, threshold: float = 0.5, samples: int = 1000, seed: int = 42
) -> RealisedReport:
    """Realised metrics of published predictions (binary: AUC, MCC, accuracy … with bootstrap CIs)."""
    items, known_before = match_labels(rows)
    y = np.array([i.realised_label for i in items], dtype=np.int64)
    p = np.array([i.probability for i in items], dtype=np.float64)
    metrics = with_bootstrap(y, p, threshold=threshold, samples=samples, seed=seed) if items else {}
    predicted_false = [i for i in items if i.predicted_label == 1]
    confirmed = (
        sum(i.realised_label == 1 for i in predicted_false) / len(predicted_false) if predicted_false else float("nan")
    )
    n_after = sum(i.labelled_after for i in items)
    return RealisedReport(
        n_published=len(items) + known_before,
        n_known_before=known_before,
        n_labelled_after=n_after,
        n_unlabelled=len(items) - n_after,
        items=items,
        metrics=metrics,
        confirmed_of_predicted_false=confirmed,
    )
