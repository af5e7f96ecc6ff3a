"""``Served.bucket_row`` (rows built once) answers exactly what ``BucketTable.bucket_for`` does."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest

from deep_classiflie.evaluate.buckets import bucket_table
from deep_classiflie.serve.served import Served


@pytest.mark.parametrize("stype", ["tweet", "non_tweet", "speech", "claim"])
def test_bucket_row_matches_bucket_for(stype: str) -> None:
    rng = np.random.default_rng(0)
    n = 200
    probs = rng.random(n)
    table = bucket_table(
        probs,
        (rng.random(n) < probs).astype(np.int64),
        (np.arange(n) % 3 == 0).astype(np.int64),
        np.full(n, 5),
        np.arange(n),
        {"all": 5, "tweet": 3, "non_tweet": 4},
    )
    served = Served(model={"id": 1, "name": "m"}, classifier=cast(Any, None), backend=cast(Any, None), buckets=table)
    for confidence in np.linspace(0.5, 1.0, 101):
        assert served.bucket_row(float(confidence), stype) == table.bucket_for(float(confidence), stype).as_row()
    assert Served(model={}, classifier=cast(Any, None), backend=cast(Any, None)).bucket_row(0.7, stype) is None
