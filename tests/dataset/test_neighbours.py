"""Step 2: exact-hash and embedding filters, blocked top-k search."""

from __future__ import annotations

import numpy as np
import pytest

from deep_classiflie.dataset.neighbours import (
    embedding_exclusions,
    hash_exclusions,
    removed_at,
    topk_neighbours,
    unit_rows,
)
from deep_classiflie.dataset.records import Exclusion
from tests.dataset.helpers import rec


def test_hash_exclusions_match_normalised_text_to_lowest_falsehood_id() -> None:
    falsehoods = [rec(5, label=1, text="The wall is being built!"), rec(3, label=1, text="the WALL is being built")]
    truths = [rec(10, text="The wall is being built."), rec(11, text="Something else entirely here today")]
    assert hash_exclusions(truths, falsehoods) == [Exclusion(10, 3, "hash", 0.0)]


@pytest.mark.parametrize("block", [1, 2, 3, 64])
def test_topk_equals_brute_force_for_any_block_size(block: int) -> None:
    rng = np.random.default_rng(0)
    q, d = rng.normal(size=(7, 5)), rng.normal(size=(11, 5))
    dist, idx = topk_neighbours(q, d, k=3, block_size=block)
    full = np.linalg.norm(unit_rows(q)[:, None] - unit_rows(d)[None], axis=2)
    expect = np.argsort(full, axis=1)[:, :3]
    assert np.array_equal(idx, expect)
    assert np.allclose(dist, np.take_along_axis(full, expect, 1), atol=1e-5)


def test_topk_k_larger_than_database() -> None:
    dist, idx = topk_neighbours(np.eye(2), np.eye(2), k=5, block_size=16)
    assert idx.tolist() == [[0, 1], [1, 0]]
    assert np.allclose(dist, [[0, np.sqrt(2)], [0, np.sqrt(2)]], atol=1e-6)


def test_embedding_exclusions_keep_nearest_falsehood_per_truth() -> None:
    # Truth 10 lies near both falsehoods (nearer to 2), truth 11 near none, truth 12 exactly on 1.
    truths = np.array([[1.0, 0.05, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    falsehoods = np.array([[1.0, 0.0, 0.0], [1.0, 0.06, 0.0]])
    out, dist, idx = embedding_exclusions(
        [10, 11, 12], truths, [1, 2], falsehoods, k=2, threshold=0.1, reason="embedding_input"
    )
    assert [(e.statement_id, e.matched_statement_id, e.reason) for e in out] == [
        (10, 2, "embedding_input"),
        (12, 1, "embedding_input"),
    ]
    assert out[1].distance == 0.0
    assert removed_at(dist, idx, [0.001, 0.1, 2.0]) == {"0.001": 1, "0.1": 2, "2": 2}


def test_top_k_limits_the_exclusions() -> None:
    truths = np.array([[1.0, 0.0], [1.0, 0.01], [1.0, 0.02]])
    out, _, _ = embedding_exclusions([1, 2, 3], truths, [9], np.array([[1.0, 0.0]]), k=2, threshold=0.5, reason="x")
    assert [e.statement_id for e in out] == [1, 2]
