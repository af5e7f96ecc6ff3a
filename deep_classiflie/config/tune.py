"""Config of the tune stage: an Optuna study whose search space is YAML data."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from deep_classiflie.config.base import Strict


class ParamSpec(Strict):
    """One searched hyperparameter: ``float``/``int`` ranges (optionally log-scaled or stepped) or ``categorical``."""

    type: Literal["float", "int", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = Field(default=None, gt=0)
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> ParamSpec:
        if self.type == "categorical":
            if not self.choices:
                raise ValueError("a categorical parameter needs a non-empty 'choices' list")
            return self
        if self.low is None or self.high is None:
            raise ValueError(f"a {self.type} parameter needs 'low' and 'high'")
        if not self.low < self.high:
            raise ValueError(f"'low' ({self.low}) must be below 'high' ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("a log-scaled parameter needs 'low' > 0")
        if self.log and self.step is not None:
            raise ValueError("'log' and 'step' cannot be combined")
        return self


class TuneConfig(Strict):
    """``deep-classiflie tune``: which metric to optimise, how many trials, and the search space.

    ``space`` maps dotted config keys (``train.lr``, ``train.dropout``, ``train.finetune.base_lr`` …) to
    :class:`ParamSpec`; each trial trains with those keys set, on the newest dataset collection of
    ``dataset.name``. ``storage`` null keeps the study in the store's own database (SQLite or MariaDB), so
    the same command started on several machines against one MariaDB store shares the study.
    """

    study: str = "deep_classiflie"
    metric: Literal["val_loss", "val_mcc", "val_auc", "val_acc"] = "val_auc"
    direction: Literal["maximize", "minimize"] | None = None  # null: minimise val_loss, maximise the others
    trials: int = Field(default=20, ge=1)  # this worker's trials (each worker of a shared study runs its own)
    timeout_s: float | None = Field(default=None, gt=0)
    seed: int | None = 42  # sampler seed; null for workers that should not draw the same points
    sampler: Literal["tpe", "random"] = "tpe"
    startup_trials: int = Field(default=5, ge=0)  # random trials before TPE models the space
    pruner: Literal["median", "none"] = "median"
    pruner_warmup_epochs: int = Field(default=2, ge=0)
    full: bool = False  # fine-tune encoder + head in each trial (GPU); pruning applies to head-only trials
    keep_models: bool = False  # keep every trial's model folder (default: only the best trial's is kept)
    storage: str | None = None  # an Optuna storage URL; null = the store's database
    space: dict[str, ParamSpec] = Field(default_factory=dict)

    @property
    def resolved_direction(self) -> Literal["maximize", "minimize"]:
        """The optimisation direction (from the metric when not set)."""
        if self.direction is not None:
            return self.direction
        return "minimize" if self.metric == "val_loss" else "maximize"
