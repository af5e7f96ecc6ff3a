"""``tune report``: the trials table, parameter importances and an optimisation-history plot (PNG)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna


def trial_rows(trials: Sequence[optuna.trial.FrozenTrial]) -> list[dict[str, Any]]:
    """One row per trial: number, state, value, seconds, worker, last reported epoch, params."""
    rows = []
    for t in sorted(trials, key=lambda t: t.number):
        seconds = (
            (t.datetime_complete - t.datetime_start).total_seconds()
            if t.datetime_complete and t.datetime_start
            else None
        )
        steps = sorted(t.intermediate_values)
        rows.append(
            {
                "number": t.number,
                "state": t.state.name.lower(),
                "value": t.value,
                "seconds": seconds,
                "worker": t.user_attrs.get("worker", ""),
                "epochs": (steps[-1] + 1) if steps else None,
                "params": dict(sorted(t.params.items())),
            }
        )
    return rows


def format_table(rows: Sequence[dict[str, Any]], metric: str) -> str:
    """A plain-text table of :func:`trial_rows`."""
    keys = sorted({k for r in rows for k in r["params"]})
    head = ["#", "state", metric, "epochs", "s", *keys, "worker"]
    body = []
    for r in rows:
        value = "" if r["value"] is None else f"{r['value']:.4f}"
        secs = "" if r["seconds"] is None else f"{r['seconds']:.1f}"
        params = [_fmt(r["params"].get(k)) for k in keys]
        body.append([str(r["number"]), r["state"], value, str(r["epochs"] or ""), secs, *params, r["worker"]])
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip() for row in [head, *body]]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def importances(study: optuna.Study) -> dict[str, float]:
    """Parameter importances (Optuna's default evaluator) over the complete trials ({} when fewer than two)."""
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) < 2 or not any(t.params for t in complete):
        return {}
    try:
        return dict(optuna.importance.get_param_importances(study))
    except (RuntimeError, ValueError):  # e.g. every complete trial drew the same values
        return {}


def plot_history(study: optuna.Study, path: Path) -> Path:
    """The optimisation history (each trial's value and the best so far) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    if complete:
        xs = [t.number for t in complete]
        ys = [float(t.value) for t in complete]  # type: ignore[arg-type]
        better = min if study.direction == optuna.study.StudyDirection.MINIMIZE else max
        best, running = [], ys[0]
        for y in ys:
            running = better(running, y)
            best.append(running)
        ax.scatter(xs, ys, label="trial value", s=18)
        ax.step(xs, best, where="post", color="tab:red", label="best so far")
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no complete trial yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("trial")
    ax.set_ylabel("objective")
    ax.set_title(f"Optimisation history of study {study.study_name!r}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path
