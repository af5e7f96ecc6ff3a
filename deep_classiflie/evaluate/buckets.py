"""Confidence buckets, as the original's reporting views: NTILE over confidence, stats per bucket.

``confidence = max(p, 1 - p)``. Predictions are ordered by (confidence, statement id) and cut
into ``n`` buckets exactly as SQL ``NTILE(n) OVER (ORDER BY confidence, statement_id)``: bucket
sizes differ by at most one and the larger buckets come first; with fewer rows than buckets, each
row is its own bucket. Bucket 1 holds the least confident predictions.

:class:`BucketTable` maps a new prediction's confidence to its bucket's stats (``bucket_for``),
for the service, the model card and the bot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np

from deep_classiflie.core.errors import DeepClassiflieError
from deep_classiflie.dataset.types import TYPE_IDS
from deep_classiflie.evaluate.metrics import binary_counts, binary_from_counts

# Scopes of bucket tables: every prediction, and each statement type.
SCOPES = ("all", "tweet", "non_tweet")


def confidence(probabilities: np.ndarray) -> np.ndarray:
    """max(p, 1 - p) of P(positive class)."""
    p = np.asarray(probabilities, dtype=np.float64)
    return np.maximum(p, 1.0 - p)


def ntile_sizes(n_rows: int, n_buckets: int) -> np.ndarray:
    """Bucket sizes of SQL NTILE: ``n_rows % n_buckets`` buckets of size q+1 first, then size q."""
    if n_buckets < 1:
        raise ValueError(f"n_buckets must be >= 1, got {n_buckets}")
    used = min(n_rows, n_buckets)
    if used == 0:
        return np.zeros(0, dtype=np.int64)
    q, r = divmod(n_rows, used)
    return np.array([q + 1] * r + [q] * (used - r), dtype=np.int64)


def ntile(order_keys: np.ndarray, n_buckets: int, tie_break: np.ndarray | None = None) -> np.ndarray:
    """1-based NTILE bucket of each row when ordered by ``order_keys`` (then ``tie_break``) ascending."""
    keys = np.asarray(order_keys)
    n = len(keys)
    tie = np.arange(n) if tie_break is None else np.asarray(tie_break)
    order = np.lexsort((tie, keys))
    buckets = np.empty(n, dtype=np.int64)
    buckets[order] = np.repeat(np.arange(1, len(ntile_sizes(n, n_buckets)) + 1), ntile_sizes(n, n_buckets))
    return buckets


@dataclass(frozen=True)
class BucketStats:
    """Stats of one confidence bucket (ratios are of the bucket's rows)."""

    scope: str
    bucket: int
    n: int
    min_confidence: float
    max_confidence: float
    accuracy: float
    ppv: float  # precision of positive predictions
    npv: float  # precision of negative predictions
    ppr: float  # positive prediction ratio
    npr: float  # negative prediction ratio
    tp_ratio: float
    tn_ratio: float
    fp_ratio: float
    fn_ratio: float
    mean_word_count: float

    def as_row(self) -> dict[str, float | int | str | None]:
        """A dict for storage; NaN becomes None (SQL NULL)."""
        return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> BucketStats:
        """Inverse of :meth:`as_row` (NULL becomes NaN)."""
        values = {}
        for f in fields(cls):
            v = row[f.name]
            values[f.name] = float("nan") if v is None else v
        return cls(**values)  # type: ignore[arg-type]


def bucket_stats(
    scope: str,
    probabilities: np.ndarray,
    labels: np.ndarray,
    word_counts: np.ndarray,
    statement_ids: np.ndarray,
    n_buckets: int,
    threshold: float | np.ndarray = 0.5,
) -> list[BucketStats]:
    """Per-bucket stats of one scope's predictions (steps: confidence → NTILE → counts per bucket)."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    conf = confidence(p)
    pred = (p >= threshold).astype(np.int64)
    which = ntile(conf, n_buckets, tie_break=np.asarray(statement_ids))
    out = []
    for b in range(1, int(which.max(initial=0)) + 1):
        m = which == b
        c = binary_counts(y[m], pred[m])
        r = binary_from_counts(**c)
        n = int(m.sum())
        out.append(
            BucketStats(
                scope=scope,
                bucket=b,
                n=n,
                min_confidence=float(conf[m].min()),
                max_confidence=float(conf[m].max()),
                accuracy=float(r["accuracy"]),
                ppv=float(r["precision"]),
                npv=float(c["tn"] / (c["tn"] + c["fn"])) if c["tn"] + c["fn"] else float("nan"),
                ppr=float((pred[m] == 1).mean()),
                npr=float((pred[m] == 0).mean()),
                tp_ratio=float(r["tp_ratio"]),
                tn_ratio=float(r["tn_ratio"]),
                fp_ratio=float(r["fp_ratio"]),
                fn_ratio=float(r["fn_ratio"]),
                mean_word_count=float(np.asarray(word_counts, dtype=np.float64)[m].mean()),
            )
        )
    return out


def scope_masks(type_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean row masks of each scope in :data:`SCOPES`."""
    t = np.asarray(type_ids)
    return {
        "all": np.ones(len(t), dtype=bool),
        "tweet": t == TYPE_IDS["tweet"],
        "non_tweet": t == TYPE_IDS["non_tweet"],
    }


class BucketTable:
    """Bucket stats of one model version per scope, with a lookup by confidence."""

    def __init__(self, buckets: Iterable[BucketStats]) -> None:
        self.by_scope: dict[str, list[BucketStats]] = {}
        for b in sorted(buckets, key=lambda b: (b.scope, b.bucket)):
            self.by_scope.setdefault(b.scope, []).append(b)

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_scope.values())

    def rows(self) -> list[BucketStats]:
        """Every bucket, by scope and bucket number."""
        return [b for scope in sorted(self.by_scope) for b in self.by_scope[scope]]

    def bucket_for(self, confidence: float, stype: str = "all") -> BucketStats:
        """Stats of the bucket a prediction with ``confidence`` falls into, for statement type ``stype``.

        ``stype`` is a scope (``all``, ``tweet``, ``non_tweet``) or a raw statement type (``speech`` …
        counts as ``non_tweet``); a scope without buckets falls back to ``all``. The bucket is the first
        whose max confidence reaches ``confidence``; beyond the last bucket, the last one.
        """
        scope = stype if stype in SCOPES else ("tweet" if stype == "tweet" else "non_tweet")
        table = self.by_scope.get(scope) or self.by_scope.get("all")
        if not table:
            raise DeepClassiflieError(
                "no confidence buckets are stored for this model version",
                hint="run `deep-classiflie evaluate --model NAME` to score it on its test split first",
            )
        upper = np.array([b.max_confidence for b in table])
        i = int(np.searchsorted(upper, confidence, side="left"))
        return table[min(i, len(table) - 1)]


def bucket_table(
    probabilities: np.ndarray,
    labels: np.ndarray,
    type_ids: np.ndarray,
    word_counts: np.ndarray,
    statement_ids: np.ndarray,
    n_buckets: Mapping[str, int],
    threshold: float | np.ndarray = 0.5,
) -> BucketTable:
    """Buckets of every scope that has predictions; ``n_buckets`` maps scope → number of buckets.

    ``threshold``: one decision cut, or one per row (the model's per-type thresholds).
    """
    out: list[BucketStats] = []
    cuts = np.broadcast_to(np.asarray(threshold, dtype=np.float64), np.asarray(probabilities).shape[:1])
    for scope, mask in scope_masks(type_ids).items():
        if mask.any():
            out.extend(
                bucket_stats(
                    scope,
                    np.asarray(probabilities)[mask],
                    np.asarray(labels)[mask],
                    np.asarray(word_counts)[mask],
                    np.asarray(statement_ids)[mask],
                    n_buckets[scope],
                    cuts[mask],
                )
            )
    return BucketTable(out)
