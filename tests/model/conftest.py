"""Model tests reuse the train stage's tiny in-memory splits."""

from __future__ import annotations

import pytest

from deep_classiflie.dataset.types import DatasetSplit
from tests.train.conftest import make_split


@pytest.fixture
def tiny_splits() -> dict[str, DatasetSplit]:
    """train (24) and val (8) statements."""
    return {"train": make_split("train", 24, seed=0), "val": make_split("val", 8, seed=1)}
