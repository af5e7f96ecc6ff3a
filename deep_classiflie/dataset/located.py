"""Step 2b of the false-truth filter: falsehoods found inside the speaker's own statements.

The fact-checkers quote transcripts (and tweets): a transcript statement holding a listed claim is that
falsehood, not a truth, even where the wording around it differs (so its hash does not match and its
embedding is diluted by the sentences around the claim). A candidate truth dated within ``days`` days
of a falsehood is excluded when they share word n-grams covering at least ``min_share`` of either one
(the claim inside the statement, or the statement inside a claim that runs over two statements), and
at least ``min_shared`` n-grams (one stock phrase does not make a short claim).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace

from deep_classiflie.core.text import word_grams
from deep_classiflie.dataset.records import Exclusion, Record


def transcript_matches(
    truths: Sequence[Record],
    falsehoods: Sequence[Record],
    *,
    days: int,
    min_share: float,
    n: int = 6,
    min_shared: int = 2,
) -> list[Exclusion]:
    """Truths holding (or held by) a falsehood dated within ``days`` days: one exclusion each, matched to the
    falsehood of the largest share (lowest id on ties); ``distance`` is 1 - share. Sorted by truth id.

    1) index the falsehoods' n-grams; 2) per truth, count shared n-grams with every falsehood it meets in
    the index; 3) keep the best falsehood in the date window whose share reaches ``min_share``.
    """
    grams_f = [word_grams([f.text], n) for f in falsehoods]
    index: dict[int, list[int]] = defaultdict(list)  # 1)
    for i, grams in enumerate(grams_f):
        for g in grams:
            index[g].append(i)
    out = []
    for t in sorted(truths, key=lambda r: r.statement_id):
        if t.day is None:
            continue
        grams_t = word_grams([t.text], n)
        shared: Counter[int] = Counter()  # 2)
        for g in grams_t:
            shared.update(index.get(g, ()))
        best: tuple[float, int] | None = None
        for i, k in shared.items():  # 3)
            f = falsehoods[i]
            if k < min_shared or f.day is None or abs((f.day - t.day).days) > days:
                continue
            share = k / min(len(grams_f[i]), len(grams_t))
            if share >= min_share and (best is None or (-share, f.statement_id) < (-best[0], best[1])):
                best = (share, f.statement_id)
        if best is not None:
            out.append(Exclusion(t.statement_id, best[1], "transcript_match", round(1.0 - min(best[0], 1.0), 6)))
    return out


def matched_by_source(exclusions: Sequence[Exclusion], truths: Sequence[Record]) -> dict[str, int]:
    """Exclusions counted by the excluded statement's source (``meta["source"]``, else its type)."""
    source = {t.statement_id: str(t.meta.get("source") or t.statement_type) for t in truths}
    return dict(sorted(Counter(source[e.statement_id] for e in exclusions).items()))


def located_origins(
    falsehoods: Sequence[Record], exclusions: Sequence[Exclusion], truths: Sequence[Record]
) -> list[Record]:
    """Falsehoods found inside a candidate take its publication origin (``meta["origin"]``) and record its
    source as ``meta["located_in"]``: the claim was said in that transcript, whatever outlet the fact-checker
    cites. Where several statements hold it, the commonest origin (then the lowest statement id) wins."""
    by_id = {t.statement_id: t for t in truths}
    found: dict[int, Counter[tuple[str, str]]] = defaultdict(Counter)
    first: dict[tuple[int, tuple[str, str]], int] = {}
    for e in exclusions:
        t = by_id.get(e.statement_id)
        if e.reason != "transcript_match" or t is None or e.matched_statement_id is None or not t.meta.get("origin"):
            continue
        key = (str(t.meta["origin"]), str(t.meta.get("source") or t.statement_type))
        found[e.matched_statement_id][key] += 1
        first[(e.matched_statement_id, key)] = min(
            first.get((e.matched_statement_id, key), t.statement_id), t.statement_id
        )
    out = []
    for f in falsehoods:
        if f.statement_id not in found:
            out.append(f)
            continue
        counts = found[f.statement_id]
        (where, source) = min(counts, key=lambda k: (-counts[k], first[(f.statement_id, k)]))
        out.append(replace(f, meta={**f.meta, "origin": where, "located_in": source}))
    return out
