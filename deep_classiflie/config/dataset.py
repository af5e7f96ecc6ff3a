"""Config of the dataset stage: task, filters, splits, balancing, leakage checks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from deep_classiflie.config.base import Strict


class FilterConfig(Strict):
    """The false-truth filter: drop candidate truths that duplicate or nearly duplicate a falsehood.

    Distances are L2 between unit-normalised embeddings (0 = same direction, 2 = opposite), so the
    thresholds are encoder-specific: calibrate them with ``bench/filter.py`` (it prints the distance
    distribution of restated claims vs random pairs and how many truths each threshold removes).
    """

    exact_hash: bool = True
    embedding: Literal["input", "contextual", "none"] = "input"
    # The filter's own encoder (a local HF folder or a packaged encoder's name); null: the offline all-MiniLM-L6-v2
    # the thresholds below were calibrated on, whatever encoder.path the classifier uses, so that changing the
    # classifier's encoder never changes which statements the dataset holds.
    encoder: str | None = None
    top_k: int = Field(default=20, ge=1)
    # Calibrated on all-MiniLM-L6-v2 and the shared Trump data: Toronto Star tweet claims vs the
    # tweets they quote (315 pairs) catch ~50% of those at 0.2 (input) / 0.3 (contextual) with no
    # random pair of 20k below; all 39k own tweets lose ~220 (input) / ~200 (contextual).
    threshold_input: float = Field(default=0.2, ge=0, le=2)
    threshold_contextual: float = Field(default=0.3, ge=0, le=2)
    block_size: int = Field(default=2048, ge=16)
    # Threshold sweep shown in the report: how many truths each candidate threshold would remove.
    sweep: list[float] = [0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4]
    # A falsehood found inside a candidate (the Star quotes transcripts): word 6-grams shared within
    # match_days days that cover match_min_share of the claim or of the statement exclude the candidate.
    transcript_match: bool = True
    match_days: int = Field(default=3, ge=0)
    match_min_share: float = Field(default=0.5, gt=0, le=1)


class LeakageConfig(Strict):
    """The metadata-only probe: a classifier on (type, month, length, source) must not predict the label.

    ``source`` is where a statement was published (meta ``origin``: factba.se, twitter.com, …; for a
    fact-checked claim, the domain of the source the fact-checker cites), not the store's source name,
    which is the label list itself for every falsehood.
    """

    auc_threshold: float = Field(default=0.65, gt=0.5, le=1)
    features: list[Literal["type", "month", "length", "source"]] = ["type", "month", "length", "source"]


class DatasetConfig(Strict):
    """How ``build-dataset`` turns the store into a labelled, split dataset.

    ``task`` names a task definition in ``configs/tasks/<task>.yaml`` (or is a path to one).
    """

    task: str = "falsehood_binary"
    name: str = "trump_falsehoods"
    min_words: int = Field(default=7, ge=1)
    max_words: int = Field(default=107, ge=1)
    # Tweets and the same period's transcripts, so that no statement type holds one class only.
    truth_stream_types: list[str] = [
        "tweet",
        "interview",
        "speech",
        "remarks",
        "press_conference",
        "weekly_address",
        "statement",
    ]
    # Falsehoods kept by statement type (None: all). The truth types: a type without truths (rallies have
    # no 2017-18 transcripts) would teach "rally = false".
    falsehood_stream_types: list[str] | None = [
        "tweet",
        "interview",
        "speech",
        "remarks",
        "press_conference",
        "weekly_address",
        "statement",
    ]
    # span: every day between the first and last falsehood; falsehood_months: only months that
    # have falsehoods (keeps the 2018-07 → 2019-07 gap, which has no labels, out of the truths).
    truth_dates: Literal["span", "falsehood_months"] = "falsehood_months"
    # Plain typography for every statement (no emoji, "…" as "...") and no bracketed insertions or elisions in
    # spoken ones, both classes alike: the fact-checker's copies differ from the archive and the transcripts in
    # exactly these, which gave the label away (dataset/editorial.py). Tweets keep their brackets and "...".
    strip_editorial: bool = True
    converge: bool = True
    # Length bins of the convergence (words // width); 4 keeps type × month × bin cells populated.
    converge_bin_width: int = Field(default=4, ge=1)
    # Convergence runs within each statement type and month: each cell's truths follow that cell's
    # falsehoods, so neither length, type nor month gives the label away (the metadata probe stays low).
    # source: the publication origin (meta "origin"; a falsehood found inside a transcript takes that
    # transcript's): falsehoods from outlets with no transcripts of the same events are not matched.
    converge_by: list[Literal["type", "month", "source"]] = ["type", "month", "source"]
    # Where a (stratum, length bin) has too few truths for its falsehoods, keep only as many falsehoods as
    # the truths can match at max_truths_per_falsehood (fewer falsehoods, no cell that gives the label away:
    # rallies, or speeches after 2018-02, have no same-period transcripts).
    converge_drop_falsehoods: bool = True
    splits: tuple[float, float, float] = (0.8, 0.1, 0.1)
    balance: Literal["oversample", "class_weight", "none"] = "oversample"
    max_truths_per_falsehood: float = Field(default=3.0, gt=0)
    seed: int = 42
    # Overrides of the task definition (None: as the task file says).
    label_map: dict[str, int] | None = None
    meta_features: list[str] | None = None
    use_credit_history: bool = False
    filter: FilterConfig = FilterConfig()
    leakage: LeakageConfig = LeakageConfig()
    reuse_cache: bool = True

    @model_validator(mode="after")
    def _check(self) -> DatasetConfig:
        if abs(sum(self.splits) - 1.0) > 1e-6 or min(self.splits) <= 0:
            raise ValueError(f"splits must be three positive fractions summing to 1, got {self.splits}")
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) must not exceed max_words ({self.max_words})")
        return self
