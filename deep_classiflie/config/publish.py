"""Config of the publish stage: the current-predictions feed and the sinks it is written to."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from deep_classiflie.config.base import Strict


class IpfsConfig(Strict):
    """An IPFS node's HTTP API (Kubo's ``/api/v0``); the feed is added, pinned, and the previous copy unpinned."""

    api_url: str = "http://127.0.0.1:5001"
    timeout_s: float = Field(default=30.0, gt=0)
    # Attempts per API call (connection errors, timeouts and 5xx answers are retried with exponential backoff).
    attempts: int = Field(default=4, ge=1, le=20)
    backoff_s: float = Field(default=0.5, ge=0)
    max_backoff_s: float = Field(default=8.0, ge=0)


class PublishConfig(Strict):
    """How ``deep-classiflie publish`` picks, scores and publishes statements.

    Statements newer than the model's test window (the latest date of its dataset's test split; ``since``
    overrides it) that are not yet in the ``publications`` log for the model are scored in batches of
    ``batch_size``; each batch's predictions and publication rows are committed in one transaction. The feed
    holds the ``feed_size`` newest published statements and is rebuilt from the log.
    """

    model: str | None = None  # model version name or id; None = the active model
    since: dt.datetime | None = None  # publish statements said after this instead of after the test window
    # None = every type; checked against the known types when the publisher starts (dataset.types)
    statement_types: list[str] | None = None
    include_retweets: bool = False
    # Kinds of source whose statements are published: the speaker's own streams (tweets, transcripts), not the
    # fact-checkers' claims (label_source) nor benchmark corpora.
    source_kinds: list[Literal["statement_stream", "label_source", "benchmark"]] = ["statement_stream"]
    batch_size: int = Field(default=256, ge=1)
    # A run stops after this many batches (None: until nothing is left); the rest waits for the next run.
    max_batches: int | None = Field(default=None, ge=1)
    feed_size: int = Field(default=5000, ge=1)
    # The feed is rewritten every this many committed batches and at the end of a run.
    feed_every_batches: int = Field(default=20, ge=1)
    feed_path: str | None = None  # default: <paths.data_dir>/feed/current_predictions.json
    metrics_split: Literal["train", "val", "test"] = "test"
    sinks: list[Literal["file", "ipfs"]] = ["file"]
    ipfs: IpfsConfig = IpfsConfig()
    # --watch: seconds between runs, and the most a stop request waits for the current step to finish.
    interval_s: float = Field(default=300.0, gt=0)
    stop_timeout_s: float = Field(default=30.0, gt=0)

    @field_validator("sinks")
    @classmethod
    def _some_sink(cls, value: list[str]) -> list[str]:
        if not value or len(set(value)) != len(value):
            raise ValueError(f"sinks must name each sink once and at least one, got {value}")
        return value
