"""The live sources by ``ingest --source`` name: each takes the store and the job config, returns the run's report."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie_db.ingest.pipeline import IngestReport
from deep_classiflie_db.scrapers.factcheck import scrape_factcheck
from deep_classiflie_db.scrapers.transcripts import scrape_transcripts
from deep_classiflie_db.scrapers.tweets import scrape_tweets


def _factcheck(engine: Engine, config: Config) -> IngestReport:
    return scrape_factcheck(engine, config)


def _transcripts(engine: Engine, config: Config) -> IngestReport:
    return scrape_transcripts(engine, config)


def _tweets(engine: Engine, config: Config) -> IngestReport:
    return scrape_tweets(engine, config)


SCRAPERS: dict[str, Callable[[Engine, Config], IngestReport]] = {
    "factcheck_live": _factcheck,
    "transcripts_live": _transcripts,
    "tweets_live": _tweets,
}
