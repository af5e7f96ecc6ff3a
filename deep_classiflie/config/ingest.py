"""Config of the ingest stage: which sources, how text is normalised, tweets and transcripts."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

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
    stitch_latency_s: int = Field(default=900, ge=0)
    exclude_retweets: bool = True


class TranscriptsConfig(Strict):
    """Transcript splitting into statements."""

    speaker_labels: list[str] = ["DONALD TRUMP", "TRUMP", "THE PRESIDENT", "PRESIDENT TRUMP", "MR. TRUMP"]
    min_words: int = Field(default=7, ge=1)
    max_words: int = Field(default=107, ge=1)
    # chunk: runs of whole sentences of >= chunk_words words (the fact-check lists' granularity: the Toronto
    # Star claims have a median of 39 words; single sentences of transcripts have 18, and length alone then
    # separates the classes); sentence: one statement per sentence; utterance: one per paragraph of a turn.
    split: Literal["chunk", "sentence", "utterance"] = "chunk"
    # chunk: a run's target length, picked per run (deterministically) from these; the default spreads the
    # runs' lengths like the Star claims' (deciles 14..88 words, median 37), a run overshooting its target
    # by part of its last sentence.
    chunk_words: list[int] = Field(default=[10, 14, 18, 22, 27, 32, 38, 45, 55, 70, 95], min_length=1)
    # campaign corpus: skip an "As written" file when an "As spoken" one exists for the same event.
    prefer_as_spoken: bool = True

    @model_validator(mode="after")
    def _check(self) -> TranscriptsConfig:
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) must not exceed max_words ({self.max_words})")
        return self


class GenericLabelsConfig(Strict):
    """Column mapping of a user's own fact-check export (CSV with a header, or a JSON array of objects)."""

    format: Literal["csv", "json"] = "csv"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    text_column: str = "text"
    id_column: str | None = None  # default: the row number
    date_column: str | None = "date"
    date_format: str | None = None  # strptime format; default: ISO 8601 and a few common forms
    label_column: str | None = None  # default: every row has ``default_label``
    default_label: str = "false"
    label_map: dict[str, int] = {"false": 1, "pants on fire": 1, "pants-fire": 1, "four pinocchios": 1}
    rating_source: str = "generic"
    rating_source_column: str | None = None
    statement_type: str = "statement"
    statement_type_column: str | None = None
    correction_column: str | None = None
    url_column: str | None = None
    speaker: str | None = None  # default: ingest.speaker
    meta_columns: list[str] = []


class IngestConfig(Strict):
    """What ``ingest`` reads and how."""

    # ``ingest --all`` imports these, in this order (the same event in two transcript folders is stored
    # from the first one imported: factba.se before the Presidency Project).
    sources: list[str] = [
        "toronto_star",
        "toronto_star_full",
        "cnn",
        "tweets",
        "factbase_interviews",
        "miller_center_2017_2018",
        "presidency_project",
    ]
    batch_size: int = Field(default=5000, ge=1)
    speaker: str = "Donald Trump"
    # Per-source input path (file or folder), overriding the default under paths.shared_data.
    paths: dict[str, Path] = {}
    # MariaDB bulk write: LOAD DATA LOCAL from a private temp folder (fast), or the driver's executemany.
    mariadb_bulk: Literal["load_data", "executemany"] = "load_data"
    # File imports of 1 MiB or more parse in a forked child process while this one writes (Linux); off:
    # parse in-process (slower; use it to debug a parser).
    parse_in_subprocess: bool = True
    normalise: NormaliseConfig = NormaliseConfig()
    tweets: TweetsConfig = TweetsConfig()
    transcripts: TranscriptsConfig = TranscriptsConfig()
    generic_labels: GenericLabelsConfig = GenericLabelsConfig()
