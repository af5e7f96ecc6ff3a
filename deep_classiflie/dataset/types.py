"""The hand-over between the dataset stage and the train/evaluate stages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Statement types collapse to a small id space for the head's type embedding.
TYPE_IDS = {"tweet": 0, "non_tweet": 1}


# Every statement type the importers write; the CLI and the service accept exactly these (and "non_tweet",
# which stands for any spoken or written type). Keep in step with deep_classiflie_db/ingest.
STATEMENT_TYPES: tuple[str, ...] = (
    "tweet",
    "non_tweet",
    "speech",
    "rally",
    "interview",
    "remarks",
    "press_conference",
    "exchange_with_reporters",
    "weekly_address",
    "facebook_post",
    "statement",
    "town_hall",
    "debate",
    "advertisement",
    "claim",
    "headline",
)


def check_statement_type(statement_type: str) -> str:
    """``statement_type`` if it is one of :data:`STATEMENT_TYPES`, else a DataSourceError listing them."""
    from deep_classiflie.core.errors import DataSourceError

    if statement_type not in STATEMENT_TYPES:
        raise DataSourceError(
            f"unknown statement type {statement_type!r}",
            hint="use one of: " + ", ".join(STATEMENT_TYPES),
        )
    return statement_type


def type_id(statement_type: str) -> int:
    """0 for tweets, 1 for every spoken/written non-tweet type (speech, remarks, interview …)."""
    return TYPE_IDS["tweet"] if statement_type == "tweet" else TYPE_IDS["non_tweet"]


@dataclass(frozen=True)
class DatasetSplit:
    """One split of a dataset, aligned arrays: one entry per statement.

    ``weights`` carries class balancing for training (oversampled copies or class weights);
    validation and test keep weight 1.
    """

    name: str  # train | val | test
    statement_ids: np.ndarray  # int64
    texts: list[str]
    labels: np.ndarray  # int64 class ids
    type_ids: np.ndarray  # int64, see TYPE_IDS
    weights: np.ndarray  # float32
    dates: np.ndarray  # datetime64[s]; NaT when unknown
    meta: np.ndarray | None = None  # float32 [n, len(meta_names)] optional metadata features (e.g. LIAR party)
    meta_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.texts)
