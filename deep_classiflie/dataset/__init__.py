"""Dataset stage: candidate truths, false-truth filter, length convergence, splits, balancing, leakage, snapshots.

The train and evaluate stages call :func:`build_collection`, :func:`latest_collection` and :func:`load_splits`.
"""

from deep_classiflie.dataset.build import (
    CollectionInfo,
    build_collection,
    collection_info,
    find_collection,
    latest_collection,
)
from deep_classiflie.dataset.snapshot import load_splits, read_manifest
from deep_classiflie.dataset.types import DatasetSplit

__all__ = [
    "CollectionInfo",
    "DatasetSplit",
    "build_collection",
    "collection_info",
    "find_collection",
    "latest_collection",
    "load_splits",
    "read_manifest",
]
