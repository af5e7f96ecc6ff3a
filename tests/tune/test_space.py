"""The search space as data: draws, layering over the config, and the errors for bad spaces."""

from __future__ import annotations

from typing import Any

import pytest

from deep_classiflie.config import Config
from deep_classiflie.config.loader import validate_config
from deep_classiflie.config.tune import ParamSpec, TuneConfig
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.tune.space import apply, check_space, nested, suggest


class Lowest:
    """Draws the low end of every range and the first choice (records what was asked)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Any]] = []

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        self.asked.append((name, ("float", low, high, step, log)))
        return low

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        self.asked.append((name, ("int", low, high, step, log)))
        return low

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        self.asked.append((name, ("categorical", tuple(choices))))
        return choices[0]


SPACE = {
    "train.lr": ParamSpec(type="float", low=1e-4, high=1e-2, log=True),
    "train.hidden_dim": ParamSpec(type="categorical", choices=[64, 128]),
    "train.epochs": ParamSpec(type="int", low=2, high=8, step=2),
}


def test_suggest_draws_each_key_once_in_a_stable_order() -> None:
    trial = Lowest()
    values = suggest(trial, SPACE)
    assert values == {"train.epochs": 2, "train.hidden_dim": 64, "train.lr": 1e-4}
    assert [name for name, _ in trial.asked] == ["train.epochs", "train.hidden_dim", "train.lr"]
    assert dict(trial.asked)["train.epochs"] == ("int", 2, 8, 2, False)
    assert dict(trial.asked)["train.lr"] == ("float", 1e-4, 1e-2, None, True)


def test_apply_sets_nested_keys_and_validates() -> None:
    cfg = apply(Config(), {"train.lr": 0.005, "train.finetune.base_lr": 2e-5})
    assert cfg.train.lr == 0.005 and cfg.train.finetune.base_lr == 2e-5
    assert Config().train.lr != 0.005  # the original is untouched
    with pytest.raises(ConfigError, match=r"train\.lrr"):
        apply(Config(), {"train.lrr": 0.1})
    with pytest.raises(ConfigError, match=r"train\.dropout"):
        apply(Config(), {"train.dropout": 1.5})


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({}, "tune.space is empty"),
        ({"train.lrr": ParamSpec(type="float", low=0.1, high=0.2)}, "'train.lrr'"),
        ({"train.dropout": ParamSpec(type="float", low=0.1, high=1.5)}, "'train.dropout' with value 1.5"),
        ({"tune.trials": ParamSpec(type="int", low=1, high=3)}, "cannot be searched"),
    ],
    ids=["empty", "unknown-key", "out-of-range", "tune-key"],
)
def test_check_space_rejects_bad_spaces(space: dict[str, ParamSpec], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_space(Config(), space)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "categorical"}, "non-empty 'choices'"),
        ({"type": "float", "low": 1.0}, "needs 'low' and 'high'"),
        ({"type": "float", "low": 2.0, "high": 1.0}, "must be below"),
        ({"type": "float", "low": 0.0, "high": 1.0, "log": True}, "'low' > 0"),
        ({"type": "float", "low": 0.1, "high": 1.0, "log": True, "step": 0.1}, "cannot be combined"),
    ],
)
def test_param_spec_errors_are_config_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config({"tune": {"space": {"train.lr": spec}}})


def test_direction_follows_the_metric_and_nested_overrides() -> None:
    assert TuneConfig(metric="val_loss").resolved_direction == "minimize"
    assert TuneConfig(metric="val_auc").resolved_direction == "maximize"
    assert TuneConfig(metric="val_loss", direction="maximize").resolved_direction == "maximize"
    assert nested({"train.lr": 0.1, "train.finetune.base_lr": 1e-5, "encoder.pooling": "cls"}) == {
        "encoder": {"pooling": "cls"},
        "train": {"finetune": {"base_lr": 1e-5}, "lr": 0.1},
    }


def test_shipped_tune_jobs_validate() -> None:
    from pathlib import Path

    from deep_classiflie.config import load_config

    root = Path(__file__).resolve().parents[2] / "configs"
    for job in sorted(root.glob("tune_*.yaml")):
        cfg = load_config(job)
        assert cfg.job == "tune" and cfg.tune.space, job
        check_space(cfg, cfg.tune.space)


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_best_trial_breaks_ties_by_the_earliest_trial(direction: str) -> None:
    import optuna

    from deep_classiflie.tune.study import best_trial

    study = optuna.create_study(direction=direction)
    assert best_trial(study) is None
    for value in (0.5, 0.9, 0.9, 0.1) if direction == "maximize" else (0.5, 0.1, 0.1, 0.9):
        study.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=value))
    best = best_trial(study)
    assert best is not None and best.number == 1


def test_tidying_keeps_the_best_and_every_running_trials_folder(tmp_path: Any) -> None:
    import optuna

    from deep_classiflie.tune.study import _remove_all_but, best_trial

    study = optuna.create_study(direction="maximize")
    for value in (0.5, 0.9, 0.1):
        study.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=value))
    running = study.ask()  # another worker's trial, still writing its model folder
    for number in range(4):
        (tmp_path / f"trial-{number:04d}" / "model").mkdir(parents=True)
    (tmp_path / "trial-notes").mkdir()
    best = best_trial(study)
    assert best is not None
    _remove_all_but(tmp_path, study, best)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["trial-0001", f"trial-{running.number:04d}", "trial-notes"]
