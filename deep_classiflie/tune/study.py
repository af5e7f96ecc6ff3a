"""Run an Optuna study over the train stage; the study lives in the store's database (or ``tune.storage``).

Several workers (processes or machines) started with the same command and a shared MariaDB store share
one study: Optuna hands each trial a unique number through the database, and every worker adds its own.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import yaml

from deep_classiflie.config import Config
from deep_classiflie.config.tune import TuneConfig
from deep_classiflie.core.errors import ConfigError, StoreError
from deep_classiflie.dataset.types import DatasetSplit
from deep_classiflie.tune.space import apply, check_space, suggest

log = logging.getLogger(__name__)


def open_study(tune: TuneConfig, db_url: str, *, create: bool = True) -> optuna.Study:
    """Create (or join) the study ``tune.study`` in ``tune.storage`` or the store's database."""
    storage = _storage(tune.storage or db_url)
    if not create:
        try:
            return optuna.load_study(study_name=tune.study, storage=storage)
        except KeyError:
            raise ConfigError(
                f"no study called {tune.study!r} in the store", hint="run `deep-classiflie tune` first"
            ) from None
    sampler: optuna.samplers.BaseSampler
    if tune.sampler == "random":
        sampler = optuna.samplers.RandomSampler(seed=tune.seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=tune.seed, n_startup_trials=tune.startup_trials)
    pruner: optuna.pruners.BasePruner = (
        optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=tune.pruner_warmup_epochs)
        if tune.pruner == "median"
        else optuna.pruners.NopPruner()
    )
    try:
        return optuna.create_study(
            study_name=tune.study,
            storage=storage,
            sampler=sampler,
            pruner=pruner,
            direction=tune.resolved_direction,
            load_if_exists=True,
        )
    except ValueError as exc:  # an existing study with another direction
        raise ConfigError(
            f"study {tune.study!r} exists with other settings: {exc}", hint="choose another tune.study name"
        ) from None


def _storage(url: str) -> optuna.storages.RDBStorage:
    # The store's own Alembic keeps its revision in ``alembic_version``; Optuna would read that revision as its
    # own schema version and refuse. Its tables are created by ``create_all`` either way, and the Optuna version
    # is pinned, so its compatibility check is skipped (docs/operations.md: never run `optuna storage upgrade`
    # on the store).
    # Workers started together race to create Optuna's tables; the loser's CREATE fails once the winner's
    # exists, so a few bounded retries settle it.
    for attempt in range(_OPEN_ATTEMPTS):
        try:
            return optuna.storages.RDBStorage(url, skip_compatibility_check=True)
        except Exception as exc:  # SQLAlchemy/driver errors: the URL is not shown, it may hold a password
            if attempt + 1 < _OPEN_ATTEMPTS:
                time.sleep(0.5 * (attempt + 1) + random.random() / 2)
                continue
            raise StoreError(
                f"cannot open the tuning study storage: {type(exc).__name__}",
                hint="check DC_DB_URL (or tune.storage) and that the database is reachable",
            ) from None
    raise AssertionError("unreachable")


_OPEN_ATTEMPTS = 5


def make_objective(
    config: Config,
    splits: dict[str, DatasetSplit],
    *,
    collection_id: int | None,
    out_dir: Path,
) -> Callable[[optuna.Trial], float]:
    """The objective: train with the trial's values, report each epoch's metric for pruning, return the best."""
    from deep_classiflie.train.api import train_model

    tune = config.tune
    worker = f"{socket.gethostname()}:{os.getpid()}"

    def objective(trial: optuna.Trial) -> float:
        values = suggest(trial, tune.space)
        trial.set_user_attr("worker", worker)
        cfg = apply(config, values)

        def on_epoch(epoch: int, metrics: dict[str, float]) -> None:
            trial.report(float(metrics[tune.metric]), epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"epoch {epoch}: {tune.metric}={metrics[tune.metric]:.4f}")

        info = train_model(
            None,
            cfg,
            splits,
            collection_id=collection_id,
            out_dir=out_dir / f"trial-{trial.number:04d}",
            full=tune.full,
            on_epoch=None if tune.full else on_epoch,
        )
        trial.set_user_attr("model_folder", str(info.folder))
        trial.set_user_attr("val_metrics", {k: round(float(v), 6) for k, v in info.val_metrics.items()})
        return float(info.val_metrics[tune.metric])

    return objective


def run_study(
    config: Config,
    splits: dict[str, DatasetSplit],
    *,
    db_url: str,
    collection_id: int | None,
    out_dir: Path,
) -> optuna.Study:
    """Check the space, open/join the study, run this worker's trials, tidy model folders, write ``best.yaml``."""
    tune = config.tune
    check_space(config, tune.space)
    study = open_study(tune, db_url)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(
        make_objective(config, splits, collection_id=collection_id, out_dir=out_dir),
        n_trials=tune.trials,
        timeout=tune.timeout_s,
        catch=(),
        gc_after_trial=True,
    )
    best = best_trial(study)
    if best is not None:
        if not tune.keep_models:
            _remove_all_but(out_dir, study, best)
        write_best_job(config, best, out_dir / "best.yaml")
    return study


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The best complete trial (None before any has completed); on a tie the earliest trial wins.

    Optuna's own ``study.best_trial`` asks the storage for the top value, and on MariaDB two tied
    trials come back in whatever order the server picks, so two calls could name different trials.
    """
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        return None
    sign = 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0
    return max(complete, key=lambda t: (sign * float(t.value or 0.0), -t.number))


def _remove_all_but(out_dir: Path, study: optuna.Study, best: optuna.trial.FrozenTrial) -> None:
    """Remove the model folders of finished trials other than ``best``.

    Only finished ones: workers sharing a study finish at different times, and a trial another worker is still
    running is writing its folder (removing it made that worker fail); the last worker to finish tidies up.
    """
    finished = {t.number for t in study.get_trials(deepcopy=False) if t.state.is_finished()}
    for folder in out_dir.glob("trial-*"):
        number = folder.name.removeprefix("trial-")
        if folder.is_dir() and number.isdigit() and int(number) in finished and int(number) != best.number:
            shutil.rmtree(folder, ignore_errors=True)


def best_job(config: Config, best: optuna.trial.FrozenTrial) -> dict[str, Any]:
    """The best trial as a runnable ``train`` job: the resolved config with the trial's values, no tune section."""
    data = apply(config, best.params).model_dump(mode="json")
    data.pop("tune", None)
    data["job"] = "train"
    return data


def write_best_job(config: Config, best: optuna.trial.FrozenTrial, path: Path) -> Path:
    """Write ``best.yaml`` atomically; ``deep-classiflie --config best.yaml`` trains the best trial again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = (
        f"# Best trial {best.number} of study {config.tune.study!r}: {config.tune.metric} = {best.value:.6f}\n"
        f"# searched: {', '.join(f'{k}={v}' for k, v in sorted(best.params.items()))}\n"
        "# Run it: deep-classiflie --config THIS_FILE\n"
    )
    tmp = path.with_suffix(f".yaml.{os.getpid()}.tmp")  # one per worker: workers sharing a study write it too
    tmp.write_text(head + yaml.safe_dump(best_job(config, best), sort_keys=False), encoding="utf-8")
    tmp.replace(path)
    return path
