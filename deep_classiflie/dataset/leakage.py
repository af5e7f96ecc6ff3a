"""Step 6: the leakage report — can "when/where/how long" predict the label instead of "what"?

Falsehood lists cover speeches, remarks and tweets of some months; candidate truths may be only
tweets, of other months. A model can then score well by learning the statement type or the date.
The report shows the class balance per split × type × month and fits a metadata-only logistic
regression (type, month, length, source = where it was published): when it beats ``auc_threshold``
on val, the dataset is flagged. A split × statement type cell holding one class only is flagged too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from deep_classiflie.dataset.records import Member, Record
from deep_classiflie.dataset.splits import SPLITS
from deep_classiflie.dataset.types import TYPE_IDS, type_id

_TYPE_NAMES = {v: k for k, v in TYPE_IDS.items()}


def type_group(statement_type: str) -> str:
    """``tweet`` or ``non_tweet``."""
    return _TYPE_NAMES[type_id(statement_type)]


def balance_table(members: Sequence[Member], classes: Sequence[str]) -> list[dict[str, Any]]:
    """One row per (split, type group, month) with the count of every class, sorted."""
    cells: dict[tuple[str, str, str], Counter[int]] = defaultdict(Counter)
    for m in members:
        cells[(m.split, type_group(m.record.statement_type), m.record.month)][m.record.label] += 1
    order = {s: i for i, s in enumerate(SPLITS)}
    rows = []
    for (split, group, month), counts in sorted(cells.items(), key=lambda kv: (order[kv[0][0]], *kv[0][1:])):
        rows.append({"split": split, "type": group, "month": month, **{c: counts[i] for i, c in enumerate(classes)}})
    return rows


def class_counts(members: Sequence[Member], classes: Sequence[str], *, key: str = "split") -> dict[str, dict[str, int]]:
    """Counts of every class per split (``key="split"``) or per type group (``key="type"``)."""
    out: dict[str, dict[str, int]] = {}
    for m in members:
        k = m.split if key == "split" else type_group(m.record.statement_type)
        row = out.setdefault(k, dict.fromkeys(classes, 0))
        row[classes[m.record.label]] += 1
    return out


def one_class_types(members: Sequence[Member], classes: Sequence[str]) -> list[str]:
    """Warnings for statement types that occur in only one class: the type alone gives the label away."""
    by_type: dict[str, Counter[int]] = defaultdict(Counter)
    for m in members:
        by_type[m.record.statement_type][m.record.label] += 1
    out = []
    for stype, counts in sorted(by_type.items()):
        if len(counts) == 1 and len(classes) > 1:
            ((cls, n),) = counts.items()
            out.append(f"statement type {stype!r} occurs only as {classes[cls]!r} ({n} statements)")
    return out


def origin(record: Record) -> str:
    """Where a statement was published: ``meta["origin"]`` (importers and the dataset query set it)."""
    return str(record.meta.get("origin") or record.meta.get("source") or "unknown")


def split_type_table(members: Sequence[Member], classes: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
    """split → statement type → counts of every class."""
    out: dict[str, dict[str, dict[str, int]]] = {s: {} for s in SPLITS}
    for m in members:
        row = out[m.split].setdefault(m.record.statement_type, dict.fromkeys(classes, 0))
        row[classes[m.record.label]] += 1
    return {s: dict(sorted(t.items())) for s, t in out.items() if t}


def one_class_cells(table: dict[str, dict[str, dict[str, int]]]) -> list[str]:
    """Warnings for split × type cells holding one class only (the type gives the label away there)."""
    out = []
    for split, types in table.items():
        for stype, counts in types.items():
            present = [c for c, n in counts.items() if n]
            if len(present) == 1 and len(counts) > 1:
                out.append(f"{split}: statement type {stype!r} holds only {present[0]!r} ({counts[present[0]]})")
    return out


def metadata_features(
    members: Sequence[Member], types: Sequence[str], features: Sequence[str], origins: Sequence[str] = ()
) -> np.ndarray:
    """Design matrix: one-hot type (vocabulary ``types``), month index + month-of-year, word count,
    one-hot publication origin (vocabulary ``origins``)."""
    cols: list[np.ndarray] = []
    recs = [m.record for m in members]
    if "type" in features:
        cols.append(
            np.array([[r.statement_type == t for t in types] for r in recs], dtype=np.float64).reshape(len(recs), -1)
        )
    if "month" in features:
        idx = np.array([(r.date.year - 2000) * 12 + r.date.month if r.date else 0 for r in recs], dtype=np.float64)
        moy = np.array(
            [[r.date is not None and r.date.month == m for m in range(1, 13)] for r in recs], dtype=np.float64
        )
        cols.extend([idx[:, None] / 12.0, moy.reshape(len(recs), 12)])
    if "length" in features:
        wc = np.array([r.word_count for r in recs], dtype=np.float64)
        cols.extend([wc[:, None] / 50.0, np.log1p(wc)[:, None]])
    if "source" in features:
        cols.append(
            np.array([[origin(r) == o for o in origins] for r in recs], dtype=np.float64).reshape(len(recs), -1)
        )
    return np.hstack(cols) if cols else np.zeros((len(recs), 0))


def origin_counts(members: Sequence[Member], classes: Sequence[str]) -> dict[str, dict[str, int]]:
    """Counts of every class per publication origin."""
    out: dict[str, dict[str, int]] = {}
    for m in members:
        row = out.setdefault(origin(m.record), dict.fromkeys(classes, 0))
        row[classes[m.record.label]] += 1
    return dict(sorted(out.items()))


def metadata_probe(
    members: Sequence[Member], *, features: Sequence[str], auc_threshold: float, seed: int
) -> dict[str, Any]:
    """Fit logistic regression on training metadata, score AUC on val; ``flag`` when it beats the threshold."""
    train = [m for m in members if m.split == "train"]
    val = [m for m in members if m.split == "val"]
    y_train = np.array([m.record.label for m in train])
    y_val = np.array([m.record.label for m in val])
    result: dict[str, Any] = {"features": list(features), "auc_threshold": auc_threshold, "auc_val": None}
    if len(set(y_train)) < 2 or len(set(y_val)) < 2:
        result.update(flag=False, note="val or train has a single class; probe skipped")
        return result
    types = sorted({m.record.statement_type for m in train})
    origins = sorted({origin(m.record) for m in train})
    model = LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed)
    model.fit(metadata_features(train, types, features, origins), y_train)
    proba = model.predict_proba(metadata_features(val, types, features, origins))
    if proba.shape[1] == 2:
        auc = roc_auc_score(y_val, proba[:, 1])
    else:
        present = [i for i, c in enumerate(model.classes_) if c in set(y_val)]
        p = proba[:, present] / proba[:, present].sum(axis=1, keepdims=True)
        auc = roc_auc_score(y_val, p, multi_class="ovr", average="macro", labels=model.classes_[present])
    result.update(auc_val=round(float(auc), 4), flag=bool(auc > auc_threshold))
    return result


def leakage_report(
    members: Sequence[Member], classes: Sequence[str], *, features: Sequence[str], auc_threshold: float, seed: int
) -> dict[str, Any]:
    """Balance tables, one-class statement types and the metadata probe, with a list of flags."""
    probe = metadata_probe(members, features=features, auc_threshold=auc_threshold, seed=seed)
    one_class = one_class_types(members, classes)
    by_split_type = split_type_table(members, classes)
    flags = list(one_class) + one_class_cells(by_split_type)
    if probe["flag"]:
        flags.append(
            f"metadata alone ({', '.join(features)}) predicts the label with val AUC {probe['auc_val']} "
            f"> {auc_threshold}: the model can learn when/where instead of what"
        )
    return {
        "counts": class_counts(members, classes),
        "by_type": class_counts(members, classes, key="type"),
        "by_split_type": by_split_type,
        "by_source": origin_counts(members, classes),
        "table": balance_table(members, classes),
        "one_class_types": one_class,
        "metadata_probe": probe,
        "flags": flags,
    }
