"""Step 4: splits. Chronological for the falsehood task (no day in two splits), given or stratified otherwise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.model_selection import train_test_split

from deep_classiflie.core.errors import DatasetError
from deep_classiflie.dataset.records import Record

SPLITS = ("train", "val", "test")


def chronological_cuts(falsehood_days: Sequence[dt.date], fractions: Sequence[float]) -> tuple[dt.date, dt.date]:
    """The last day of train and of val, from the falsehoods' cumulative date distribution.

    1) sort the falsehood days; 2) train ends on the day of the falsehood at rank ``ceil(f_train·n)``,
    val on the day at rank ``ceil((f_train+f_val)·n)``; 3) move a cut by whole days where a split would
    be empty. A whole day goes to one side, so the realised fractions can differ a little from the
    asked ones (more so with few distinct days).
    """
    days = sorted(falsehood_days)  # 1)
    if len(set(days)) < 3:
        raise DatasetError(
            f"a chronological split needs falsehoods on at least 3 different days, found {len(set(days))}",
            hint="ingest more fact-check labels, or use a task with split: stratified",
        )
    n, uniq = len(days), sorted(set(days))
    cut1 = days[max(1, int(np.ceil(fractions[0] * n))) - 1]  # 2)
    cut2 = days[max(1, int(np.ceil((fractions[0] + fractions[1]) * n))) - 1]
    # 3) Keep every split non-empty: val starts after train's last day, test keeps the last day.
    if cut2 <= cut1:
        cut2 = uniq[uniq.index(cut1) + 1] if cut1 != uniq[-1] else cut1
    if cut2 >= uniq[-1]:
        cut2 = uniq[-2]
    if cut1 >= cut2:
        cut1 = uniq[uniq.index(cut2) - 1]
    return cut1, cut2


def split_of_day(day: dt.date, cuts: tuple[dt.date, dt.date]) -> str:
    """train up to and including the first cut, val up to the second, test after."""
    return "train" if day <= cuts[0] else "val" if day <= cuts[1] else "test"


def chronological_split(
    falsehoods: Sequence[Record], truths: Sequence[Record], fractions: Sequence[float]
) -> dict[int, str]:
    """Statement id → split; the cut days come from the falsehoods alone, truths follow their day."""
    cuts = chronological_cuts([r.day for r in falsehoods if r.day is not None], fractions)
    out: dict[int, str] = {}
    for rec in [*falsehoods, *truths]:
        if rec.day is None:
            raise DatasetError(
                f"statement {rec.statement_id} has no date; a chronological split needs one",
                hint="re-ingest the source with dates, or use a task with split: stratified",
            )
        out[rec.statement_id] = split_of_day(rec.day, cuts)
    return out


def _stratify(labels: np.ndarray, share: float) -> np.ndarray | None:
    """``labels`` when a stratified draw of ``share`` is possible (2+ per class, room for each class), else None."""
    counts = np.unique(labels, return_counts=True)[1]
    n_test = int(np.ceil(share * len(labels)))
    ok = counts.min() >= 2 and len(counts) <= n_test <= len(labels) - len(counts)
    return labels if ok else None


def stratified_split(records: Sequence[Record], fractions: Sequence[float], *, seed: int) -> dict[int, str]:
    """Seeded split stratified by label; deterministic whatever the input order."""
    recs = sorted(records, key=lambda r: r.statement_id)
    if not recs:
        return {}
    ids = np.array([r.statement_id for r in recs])
    labels = np.array([r.label for r in recs])
    rest_ids, test_ids, rest_y, _ = train_test_split(
        ids, labels, test_size=fractions[2], random_state=seed, stratify=_stratify(labels, fractions[2])
    )
    val_share = fractions[1] / (fractions[0] + fractions[1])
    train_ids, val_ids = train_test_split(
        rest_ids, test_size=val_share, random_state=seed, stratify=_stratify(rest_y, val_share)
    )
    out = {int(i): "train" for i in train_ids}
    out.update({int(i): "val" for i in val_ids})
    out.update({int(i): "test" for i in test_ids})
    return out


def given_split(
    records: Sequence[Record], fractions: Sequence[float], *, seed: int, given_map: Mapping[str, str]
) -> dict[int, str]:
    """Respect ``meta["given_split"]``; the splits a data set does not give are carved out of its train split.

    LIAR gives train and valid only: valid → val, and test is a seeded stratified share
    ``f_test / (f_train + f_test)`` of the given train split. Records without a given split are split
    stratified over all three.
    """
    given = {r.statement_id: given_map.get(str(r.meta.get("given_split", "")), "") for r in records}
    present = {s for s in given.values() if s}
    out = {sid: s for sid, s in given.items() if s}
    missing = [s for s in SPLITS if s not in present]
    train_pool = [r for r in records if given[r.statement_id] == "train"]
    if present and missing and train_pool:
        carve = {s: fractions[SPLITS.index(s)] for s in missing if s != "train"}
        if carve:
            share = sum(carve.values()) / (fractions[0] + sum(carve.values()))
            recs = sorted(train_pool, key=lambda r: r.statement_id)
            ids = np.array([r.statement_id for r in recs])
            labels = np.array([r.label for r in recs])
            _, carved = train_test_split(ids, test_size=share, random_state=seed, stratify=_stratify(labels, share))
            names = sorted(carve)  # one carved split in practice (test); several share it round-robin
            for pos, sid in enumerate(sorted(int(i) for i in carved)):
                out[sid] = names[pos % len(names)]
    rest = [r for r in records if not given[r.statement_id]]
    out.update(stratified_split(rest, fractions, seed=seed))
    return out
