"""Exact top-k neighbour search on blocked matrix products, memory-bounded, and the filters built on it.

For unit vectors ``|q - d|² = 2 - 2 q·d``, so the k nearest items are the k largest dot products:
one matrix product per block of queries, a running top-k over blocks of the database. Peak memory is
``block_size²`` floats however large the inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from deep_classiflie.dataset.records import Exclusion, Record


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero), float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def topk_neighbours(
    queries: np.ndarray, database: np.ndarray, *, k: int, block_size: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest database rows of every query row by L2 on unit vectors.

    Returns ``(distances [nq, k'], indices [nq, k'])`` sorted nearest first, with ``k' = min(k, nd)``.
    1) normalise both sides; 2) for each block of queries and each block of the database take the
    dot products and their block-local top-k; 3) merge into the running top-k; 4) convert to L2.
    """
    q = torch.from_numpy(unit_rows(queries))
    d = torch.from_numpy(unit_rows(database))
    nq, nd = q.shape[0], d.shape[0]
    kk = min(k, nd)
    best_sim = torch.full((nq, kk), -np.inf)
    best_idx = torch.zeros((nq, kk), dtype=torch.int64)
    if nq == 0 or kk == 0:
        return np.zeros((nq, kk), np.float32), np.zeros((nq, kk), np.int64)
    for qs in range(0, nq, block_size):
        qb = q[qs : qs + block_size]
        run_sim, run_idx = best_sim[qs : qs + block_size], best_idx[qs : qs + block_size]
        for ds in range(0, nd, block_size):
            sims = qb @ d[ds : ds + block_size].T  # 2) [bq, bd]
            s, i = torch.topk(sims, min(kk, sims.shape[1]), dim=1)
            merged_sim = torch.cat([run_sim, s], dim=1)  # 3)
            merged_idx = torch.cat([run_idx, i + ds], dim=1)
            top_s, pos = torch.topk(merged_sim, kk, dim=1)
            run_sim, run_idx = top_s, torch.gather(merged_idx, 1, pos)
        best_sim[qs : qs + block_size], best_idx[qs : qs + block_size] = run_sim, run_idx
    dist = torch.sqrt(torch.clamp(2.0 - 2.0 * best_sim, min=0.0))  # 4)
    return dist.numpy().astype(np.float32), best_idx.numpy()


def hash_exclusions(truths: Sequence[Record], falsehoods: Sequence[Record]) -> list[Exclusion]:
    """Filter step 1: truths whose normalised text hash equals a falsehood's (matched to the lowest id)."""
    first: dict[str, int] = {}
    for rec in sorted(falsehoods, key=lambda r: r.statement_id):
        first.setdefault(rec.text_hash, rec.statement_id)
    return [
        Exclusion(t.statement_id, first[t.text_hash], "hash", 0.0)
        for t in sorted(truths, key=lambda r: r.statement_id)
        if t.text_hash in first
    ]


def embedding_exclusions(
    truth_ids: Sequence[int],
    truth_emb: np.ndarray,
    false_ids: Sequence[int],
    false_emb: np.ndarray,
    *,
    k: int,
    threshold: float,
    reason: str,
    block_size: int = 2048,
) -> tuple[list[Exclusion], np.ndarray, np.ndarray]:
    """Filter step 2: truths among a falsehood's ``k`` nearest truths at distance < ``threshold``.

    Each excluded truth records its nearest matching falsehood. Also returns the ``[n_false, k]``
    neighbour distances and truth positions, so callers can report what other thresholds would remove.
    """
    dist, idx = topk_neighbours(false_emb, truth_emb, k=k, block_size=block_size)
    nearest: dict[int, tuple[float, int]] = {}
    for fi, ti in zip(*np.nonzero(dist < threshold), strict=True):
        tid, dval = int(truth_ids[idx[fi, ti]]), float(dist[fi, ti])
        fid = int(false_ids[fi])
        if tid not in nearest or (dval, fid) < nearest[tid]:
            nearest[tid] = (dval, fid)
    out = [Exclusion(tid, fid, reason, round(dval, 6)) for tid, (dval, fid) in sorted(nearest.items())]
    return out, dist, idx


def removed_at(dist: np.ndarray, idx: np.ndarray, thresholds: Sequence[float]) -> dict[str, int]:
    """How many distinct truths each threshold would remove, given top-k distances and truth positions."""
    return {f"{th:g}": len(np.unique(idx[dist < th])) for th in thresholds}
