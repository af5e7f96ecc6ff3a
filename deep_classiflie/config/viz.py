"""Config of the dashboards and the site (``viz`` section)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from deep_classiflie.config.base import Strict


class VizConfig(Strict):
    """What the explorers show and where the site is written."""

    split: str = "test"  # the scored split the prediction and performance explorers read
    samples_per_bucket: int = Field(default=20, ge=1)  # statements sampled from each extreme bucket
    seed: int = 0  # of that sample: the same store gives the same page
    current_limit: int = Field(default=500, ge=1)  # rows of the current-predictions table
    feed_path: Path | None = None  # the publisher's feed; default <paths.data_dir>/feed/current_predictions.json
    site_dir: Path = Path("runs/site")  # where `site build` writes and `site serve` serves
    serve_port: int = Field(default=4000, ge=0, le=65535)
