"""Config of the ingest stage: which sources, how text is normalised, tweets and transcripts."""

from __future__ import annotations

from pydantic import Field

from deep_classiflie.config.base import Strict


class NormaliseConfig(Strict):
    """Text cleaning rules (the original's, each switchable)."""

    unescape_html: bool = True
    strip_urls: bool = True
    strip_mentions: bool = False
    strip_brackets: bool = True
    normalise_quotes: bool = True
    normalise_dashes: bool = True
    collapse_whitespace: bool = True


class TweetsConfig(Strict):
    """Tweet stream handling."""

    stitch_threads: bool = True
    stitch_latency_s: int = Field(900, ge=0)
    exclude_retweets: bool = True


class TranscriptsConfig(Strict):
    """Transcript splitting into statements."""

    speaker_labels: list[str] = ["DONALD TRUMP", "TRUMP", "THE PRESIDENT", "PRESIDENT TRUMP"]
    min_words: int = Field(7, ge=1)
    max_words: int = Field(107, ge=1)


class IngestConfig(Strict):
    """What ``ingest`` reads and how."""

    sources: list[str] = ["toronto_star", "cnn", "tweets"]
    batch_size: int = Field(5000, ge=1)
    speaker: str = "Donald Trump"
    normalise: NormaliseConfig = NormaliseConfig()
    tweets: TweetsConfig = TweetsConfig()
    transcripts: TranscriptsConfig = TranscriptsConfig()
