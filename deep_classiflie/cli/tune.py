"""``tune`` (run this worker's trials of the config's Optuna study) and ``tune report``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from deep_classiflie.cli.context import Context
from deep_classiflie.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``tune`` command (``tune run`` is the default action; ``tune report``)."""
    tune = sub.add_parser("tune", help="hyperparameter search (Optuna) over the train stage, study kept in the store")
    tune.add_argument(
        "action", nargs="?", choices=["run", "report"], default="run", help="run trials (default) or report"
    )
    tune.add_argument("--study", help="study name (default: tune.study of the config)")
    tune.add_argument("--trials", type=_positive, help="trials this worker runs (default: tune.trials)")
    tune.add_argument("--collection", type=int, help="dataset collection id (default: the newest of dataset.name)")
    tune.add_argument(
        "--out", type=Path, help="folder for trial models, best.yaml and the report (default: runs/tune/STUDY)"
    )
    tune.set_defaults(func=tune_command)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def tune_command(ctx: Context, args: argparse.Namespace) -> int:
    config = ctx.config
    updates = {k: v for k, v in (("study", args.study), ("trials", args.trials)) if v is not None}
    if updates:
        config = config.model_copy(update={"tune": config.tune.model_copy(update=updates)})
    out = args.out or config.paths.runs_dir / "tune" / config.tune.study
    if args.action == "report":
        return _report(ctx, config, out)
    return _run(ctx, config, out, args.collection)


def _run(ctx: Context, config: Config, out: Path, collection: int | None) -> int:
    from deep_classiflie.dataset import find_collection, load_splits
    from deep_classiflie.tune.space import check_space
    from deep_classiflie.tune.study import best_trial, run_study

    check_space(config, config.tune.space)  # before touching the store
    info = find_collection(ctx.engine, config.dataset.name, collection, data_dir=config.paths.data_dir)
    study = run_study(config, load_splits(info.snapshot_dir), db_url=ctx.db_url, collection_id=info.id, out_dir=out)
    best = best_trial(study)
    states: dict[str, int] = {}
    for t in study.trials:
        states[t.state.name.lower()] = states.get(t.state.name.lower(), 0) + 1
    print(f"study {config.tune.study!r}: {len(study.trials)} trials ({json.dumps(states)}) on collection {info.id}")
    if best is None:
        print("no trial completed yet")
        return 0
    print(f"best: trial {best.number} {config.tune.metric}={best.value:.4f} {json.dumps(best.params)}")
    print(f"wrote {out / 'best.yaml'} (run it with: deep-classiflie --config {out / 'best.yaml'})")
    return 0


def _report(ctx: Context, config: Config, out: Path) -> int:
    from deep_classiflie.tune.report import format_table, importances, plot_history, trial_rows
    from deep_classiflie.tune.study import open_study

    ctx.engine  # noqa: B018 — a missing or unmigrated store is an Error before Optuna touches it
    study = open_study(config.tune, ctx.db_url, create=False)
    print(f"study {config.tune.study!r} ({study.direction.name.lower()} {config.tune.metric})")
    print(format_table(trial_rows(study.trials), config.tune.metric))
    imp = importances(study)
    if imp:
        print("parameter importances:")
        for key, value in imp.items():
            print(f"  {key:<32} {value:.3f}")
    else:
        print("parameter importances: need at least two complete trials")
    print(f"optimisation history: {plot_history(study, out / 'optimization_history.png')}")
    return 0
