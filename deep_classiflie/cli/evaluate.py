"""``evaluate``: score a model version and store its metrics; compare two; write a model card; realised scores.

- ``evaluate [--model NAME|ID] [--split test]`` scores the model on its dataset collection's split;
  ``--from/--to`` scores it on every fact-checked statement said in that date range instead.
- ``evaluate --compare A B`` prints the newest stored metrics of A and B side by side with deltas.
- ``evaluate card MODEL [--out PATH]`` writes the model card (Markdown).
- ``evaluate realised [--model NAME|ID]`` reports how published predictions fared once labels arrived.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from deep_classiflie.cli.context import Context
from deep_classiflie.core.errors import DatasetError, ModelError, StoreError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` command and its ``card`` / ``realised`` actions."""
    ev = sub.add_parser("evaluate", help="score a model, store metrics and buckets; compare, model card, realised")
    ev.add_argument("--model", help="model version name or id (default: the newest)")
    ev.add_argument("--split", choices=["train", "val", "test"], help="split of the model's dataset (default: config)")
    ev.add_argument("--from", dest="date_from", type=_date, help="score all labelled statements said on/after DATE")
    ev.add_argument("--to", dest="date_to", type=_date, help="… and before DATE (YYYY-MM-DD)")
    ev.add_argument("--compare", nargs=2, metavar=("A", "B"), help="print stored metrics of A and B with deltas")
    ev.set_defaults(func=evaluate)
    actions = ev.add_subparsers(dest="evaluate_command", metavar="ACTION")
    card = actions.add_parser("card", help="write the model card of MODEL (Markdown)")
    card.add_argument("card_model", metavar="MODEL", help="model version name or id")
    card.add_argument("--out", type=Path, help="file to write (default: runs/<model>/MODEL_CARD.md)")
    card.add_argument("--split", dest="card_split", default="test", help="split whose metrics the card shows")
    card.set_defaults(func=card_command)
    realised = actions.add_parser("realised", help="how published predictions fared once fact-checks arrived")
    realised.add_argument("--model", dest="realised_model", help="model version name or id (default: all)")
    realised.set_defaults(func=realised_command)


def _date(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from exc


def evaluate(ctx: Context, args: argparse.Namespace) -> int:
    """Score one model version (steps: resolve model → rows → load → score and store → print)."""
    if args.compare:
        return compare_command(ctx, args)
    from deep_classiflie.evaluate.run import evaluate_model, split_from_rows
    from deep_classiflie_db.queries import evaluate as q

    cfg = ctx.config.evaluate
    engine = ctx.engine
    # 1) which model
    model = q.model_version(engine, ref=args.model) if args.model else q.latest_model_version(engine)
    # 2) which rows: a labelled date range, or a split of the model's dataset collection
    collection_id = model.get("dataset_collection_id")
    val, meta = None, None
    if args.date_from or args.date_to:
        split = split_from_rows(q.labelled_rows(engine, date_from=args.date_from, date_to=args.date_to), "labelled")
        collection_id = None
    else:
        if collection_id is None:
            raise DatasetError(
                f"model version {model['name']!r} has no dataset collection recorded",
                hint="pass --from/--to to score it on labelled statements of a date range",
            )
        name = args.split or cfg.split
        rows = q.split_rows(engine, collection_id=collection_id, split=name)
        split = split_from_rows(rows, name)
        meta = [dict(r.get("meta") or {}) for r in rows]  # for heads that read metadata one-hots
        if cfg.temperature_scaling:
            val = split_from_rows(q.split_rows(engine, collection_id=collection_id, split="val"), "val")
    # 3) the trained model
    classifier = _load_classifier(Path(model["path"]))
    # 4) score, store, report
    result = evaluate_model(
        engine,
        cfg,
        classifier,
        split,
        int(model["id"]),
        collection_id,
        val_split=val,
        model_dir=Path(model["path"]),
        meta=meta,
    )
    out = _write_summary(ctx, model["name"], result)
    from deep_classiflie.model.classifier import fallback_notes

    # as evaluate_model reads `thresholds`: scorers other than a Classifier may not carry them
    _print_result(model["name"], result, fallback_notes(getattr(classifier, "thresholds_from_all_rows", None) or {}))
    print(f"stored {result.n} predictions and metrics of model version {model['id']}; report: {out}")
    return 0


def _load_classifier(folder: Path) -> Any:
    try:
        from deep_classiflie.model.classifier import load_classifier
    except ImportError as exc:  # the model package is optional at import time of this CLI
        raise ModelError(
            "the model package cannot be imported", hint="install the project with `pip install -e .[all]`"
        ) from exc
    if not folder.is_dir():
        raise ModelError(
            f"model folder {folder} does not exist",
            hint="re-run `deep-classiflie train`, or restore the folder the model version points at",
        )
    try:
        return load_classifier(folder)
    except ModelError:
        raise
    except Exception as exc:  # a damaged folder fails in safetensors, json or torch: say which folder
        raise ModelError(
            f"model folder {folder} cannot be loaded ({type(exc).__name__}: {exc})",
            hint="retrain with `deep-classiflie train`, or restore the folder from a backup",
        ) from exc


def _write_summary(ctx: Context, model_name: str, result: Any) -> Path:
    from deep_classiflie.evaluate.report import result_summary

    folder = ctx.config.paths.runs_dir / model_name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"evaluation_{result.split}.json"
    path.write_text(json.dumps(result_summary(result), indent=2, default=str) + "\n", encoding="utf-8")
    return path


def _fmt(x: float | None, digits: int = 3) -> str:
    return "–" if x is None or x != x else f"{x:.{digits}f}"


def _print_result(model_name: str, result: Any, notes: Sequence[str] = ()) -> None:
    """The metric table, the decision thresholds and ``notes`` (types on the all-rows cut, and why)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{model_name}: {result.split} ({result.n} statements)")
    for col in ("scope", "metric", "value", "95% CI"):
        table.add_column(col)
    for scope, estimates in result.metrics.items():
        for metric, est in estimates.items():
            table.add_row(scope, metric, _fmt(est.value), f"[{_fmt(est.ci_low)}, {_fmt(est.ci_high)}]")
    table.add_row("all", "ece", _fmt(result.reliability.ece), "")
    Console().print(table)
    if result.thresholds:
        cuts = ", ".join(f"{k} {v:.3f}" for k, v in sorted(result.thresholds.items()))
        print(f"decision thresholds (chosen on validation): {cuts}; '@0.5' rows are at the fixed 0.5 cut")
        for note in notes:
            print(f"  {note}")


def compare_command(ctx: Context, args: argparse.Namespace) -> int:
    """Side-by-side newest metrics of two model versions, with B − A deltas."""
    from rich.console import Console
    from rich.table import Table

    from deep_classiflie.evaluate.compare import compare_metrics
    from deep_classiflie_db.queries import evaluate as q

    a_ref, b_ref = args.compare
    engine = ctx.engine
    a, b = q.model_version(engine, ref=a_ref), q.model_version(engine, ref=b_ref)
    split = args.split or ctx.config.evaluate.split
    rows_a = q.latest_metrics(engine, model_version_id=int(a["id"]), split=split)
    rows_b = q.latest_metrics(engine, model_version_id=int(b["id"]), split=split)
    if not rows_a or not rows_b:
        missing = a["name"] if not rows_a else b["name"]
        raise StoreError(
            f"model version {missing!r} has no stored {split} metrics",
            hint=f"run `deep-classiflie evaluate --model {missing} --split {split}` first",
        )
    table = Table(title=f"{split}: A = {a['name']}, B = {b['name']}")
    for col in ("scope", "metric", "A", "B", "B − A", "better"):
        table.add_column(col, justify="right" if col in ("A", "B", "B − A") else "left")
    for row in compare_metrics(rows_a, rows_b):
        delta = row.delta
        table.add_row(
            row.scope, row.metric, _fmt(row.a), _fmt(row.b), "–" if delta is None else f"{delta:+.3f}", row.better
        )
    Console().print(table)
    return 0


def card_command(ctx: Context, args: argparse.Namespace) -> int:
    """Write the model card of one model version."""
    from deep_classiflie.evaluate.card import build_card
    from deep_classiflie_db.queries import evaluate as q

    model = q.model_version(ctx.engine, ref=args.card_model)
    text = build_card(ctx.engine, int(model["id"]), split=args.card_split)
    out = args.out or ctx.config.paths.runs_dir / str(model["name"]) / "MODEL_CARD.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def realised_command(ctx: Context, args: argparse.Namespace) -> int:
    """Realised performance of published predictions (labels that arrived after publication)."""
    from rich.console import Console
    from rich.table import Table

    from deep_classiflie.evaluate.realised import realised_report
    from deep_classiflie_db.queries import evaluate as q

    cfg = ctx.config.evaluate
    model_id = int(q.model_version(ctx.engine, ref=args.realised_model)["id"]) if args.realised_model else None
    report = realised_report(
        q.realised_rows(ctx.engine, model_version_id=model_id),
        threshold=cfg.threshold,
        samples=cfg.bootstrap_samples,
        seed=cfg.bootstrap_seed,
    )
    print(
        f"published {report.n_published}: {report.n_known_before} labelled before publication (left out), "
        f"{report.n_labelled_after} labelled after, {report.n_unlabelled} not (yet) found"
    )
    if not report.items:
        print("nothing to score yet")
        return 0
    table = Table(title="realised performance (unlabelled counts as not false)")
    for col in ("metric", "value", "95% CI"):
        table.add_column(col)
    for metric, est in report.metrics.items():
        table.add_row(metric, _fmt(est.value), f"[{_fmt(est.ci_low)}, {_fmt(est.ci_high)}]")
    table.add_row("confirmed of predicted false", _fmt(report.confirmed_of_predicted_false), "")
    Console().print(table)
    return 0
