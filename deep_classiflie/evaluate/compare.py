"""Side-by-side comparison of two model versions' newest stored metrics, with deltas."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Metrics where smaller is better; the delta's sign is flipped for "better" so it reads the same way.
LOWER_IS_BETTER = {"ece", "fp_ratio", "fn_ratio"}


@dataclass(frozen=True)
class ComparisonRow:
    """One (split, scope, metric) of A and B."""

    split: str
    scope: str
    metric: str
    a: float | None
    b: float | None

    @property
    def delta(self) -> float | None:
        """B − A, None when either side is missing."""
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def better(self) -> str:
        """``B`` when B improves on A, ``A`` when it is worse, ``=`` or ``""`` (not comparable)."""
        d = self.delta
        if d is None:
            return ""
        if abs(d) < 1e-12:
            return "="
        if self.metric in LOWER_IS_BETTER:
            d = -d
        return "B" if d > 0 else "A"


def compare_metrics(
    rows_a: Iterable[Mapping[str, object]], rows_b: Iterable[Mapping[str, object]], *, include_buckets: bool = False
) -> list[ComparisonRow]:
    """Join two metric-history row sets on (split, scope, metric); ``n`` and bucket rows left out by default."""

    def keyed(rows: Iterable[Mapping[str, object]]) -> dict[tuple[str, str, str], float | None]:
        out = {}
        for r in rows:
            scope = str(r["scope"])
            if r["metric"] == "n" or (scope.startswith("bucket:") and not include_buckets):
                continue
            value = r["value"]
            out[(str(r["split"]), scope, str(r["metric"]))] = None if value is None else float(value)  # type: ignore[arg-type]
        return out

    a, b = keyed(rows_a), keyed(rows_b)
    scope_order = {"all": 0, "tweet": 1, "non_tweet": 2}
    keys = sorted(set(a) | set(b), key=lambda k: (k[0], scope_order.get(k[1], 9), k[1], k[2]))
    return [ComparisonRow(s, sc, m, a.get((s, sc, m)), b.get((s, sc, m))) for s, sc, m in keys]
