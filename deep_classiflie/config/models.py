"""The whole job configuration: one section per pipeline stage, each defined in its own module."""

from __future__ import annotations

from pathlib import Path

from deep_classiflie.config.base import Strict
from deep_classiflie.config.bot import BotConfig
from deep_classiflie.config.dataset import DatasetConfig
from deep_classiflie.config.evaluate import EvaluateConfig
from deep_classiflie.config.explain import ExplainConfig
from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.config.publish import PublishConfig
from deep_classiflie.config.scrape import ScrapeConfig
from deep_classiflie.config.serve import ServeConfig
from deep_classiflie.config.train import EncoderConfig, HeadTrainConfig
from deep_classiflie.config.tune import TuneConfig
from deep_classiflie.config.viz import VizConfig


class PathsConfig(Strict):
    """Where data comes from and where the platform writes."""

    shared_data: Path = Path("../shared/data")
    data_dir: Path = Path(".dc")
    runs_dir: Path = Path("runs")


class Config(Strict):
    """The whole resolved job configuration."""

    # A key of the CLI's JOB_ARGV, the one list of runnable jobs (checked when the CLI starts, so a job added
    # there needs no second list here).
    job: str = "demo"
    paths: PathsConfig = PathsConfig()
    ingest: IngestConfig = IngestConfig()
    scrape: ScrapeConfig = ScrapeConfig()
    dataset: DatasetConfig = DatasetConfig()
    encoder: EncoderConfig = EncoderConfig()
    train: HeadTrainConfig = HeadTrainConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    serve: ServeConfig = ServeConfig()
    explain: ExplainConfig = ExplainConfig()
    tune: TuneConfig = TuneConfig()
    bot: BotConfig = BotConfig()
    viz: VizConfig = VizConfig()
    publish: PublishConfig = PublishConfig()
