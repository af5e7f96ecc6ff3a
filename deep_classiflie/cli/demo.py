"""``demo``: the whole chain on the configured store — ingest → dataset → train → evaluate → predict.

On a CPU the model is the classification head trained on cached frozen-encoder features; every
number it prints is labelled so ("head on cached features, CPU").
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from deep_classiflie.cli.context import Context
from deep_classiflie.config import dump_config

EXAMPLES = [
    ("We are the highest taxed nation in the world.", "non_tweet"),
    ("Thank you to all of the great people who came out today. See you soon!", "tweet"),
]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command."""
    p = sub.add_parser("demo", help="run the whole chain (ingest → dataset → train → evaluate) and summarise")
    p.add_argument("--skip-ingest", action="store_true", help="use what the store already holds")
    p.set_defaults(func=demo)


def demo(ctx: Context, args: argparse.Namespace) -> int:
    """Run each stage in order and print a summary table."""
    import numpy as np

    from deep_classiflie.dataset.build import build_collection
    from deep_classiflie.dataset.snapshot import load_splits
    from deep_classiflie.dataset.types import type_id
    from deep_classiflie.evaluate.run import evaluate_model
    from deep_classiflie.model.classifier import load_classifier
    from deep_classiflie.train.api import train_model
    from deep_classiflie_db import migrate
    from deep_classiflie_db.engine import describe
    from deep_classiflie_db.ingest.registry import import_source

    console = Console(stderr=True)
    config, timings = ctx.config, {}
    # 1) store
    migrate.upgrade(ctx.raw_engine)
    engine = ctx.engine
    console.print(f"[bold]store[/] {describe(engine)}")
    # 2) ingest
    start = time.perf_counter()
    ingest_rows = []
    if not args.skip_ingest:
        for name in config.ingest.sources:
            report = import_source(engine, name, path=None, config=config)
            ingest_rows.append((name, report.read, report.inserted, report.duplicate, report.rejected))
            console.print(
                f"ingest {name}: read {report.read}, inserted {report.inserted}, "
                f"duplicate {report.duplicate}, rejected {report.rejected}"
            )
    timings["ingest"] = time.perf_counter() - start
    # 3) dataset
    start = time.perf_counter()
    info = build_collection(engine, config)
    splits = load_splits(info.snapshot_dir)
    timings["dataset"] = time.perf_counter() - start
    # 4) train (head on cached features on CPU)
    start = time.perf_counter()
    run_dir = Path(config.paths.runs_dir)
    model = train_model(engine, config, splits, collection_id=info.id, out_dir=run_dir)
    dump_config(config, model.folder / "resolved_config.yaml")
    timings["train"] = time.perf_counter() - start
    # 5) evaluate on the test split
    start = time.perf_counter()
    classifier = load_classifier(model.folder)
    assert model.model_version_id is not None  # registered: an engine was given
    result = evaluate_model(
        engine, config.evaluate, classifier, splits["test"], model.model_version_id, info.id, model_dir=model.folder
    )
    timings["evaluate"] = time.perf_counter() - start
    # 6) predict a few statements end to end
    probs = classifier.predict_proba([t for t, _ in EXAMPLES], np.array([type_id(s) for _, s in EXAMPLES]))
    _print_summary(info, splits, model, result, timings, probs, ingest_rows, classifier.thresholds_from_all_rows)
    return 0


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _fmt(value: float | None) -> str:
    """Three decimals, or n/a where a metric is undefined (e.g. AUC of a one-class scope)."""
    return f"{value:.3f}" if _finite(value) else "n/a"


def _print_summary(info, splits, model, result, timings, probs, ingest_rows, fallbacks) -> None:
    from deep_classiflie.dataset.report import leakage_advice

    console = Console()
    if ingest_rows:
        table = Table(title="Ingest")
        for col in ("source", "read", "inserted", "duplicate", "rejected"):
            table.add_column(col, justify="right" if col != "source" else "left")
        for row in ingest_rows:
            table.add_row(*map(str, row))
        console.print(table)
    table = Table(title=f"Dataset collection {info.id} ({info.name}, {info.content_hash[:12]})")
    for col in ("split", "statements", "falsehoods", "truths"):
        table.add_column(col, justify="right" if col != "split" else "left")
    for name in ("train", "val", "test"):
        s = splits[name]
        pos = int((s.labels == 1).sum())
        table.add_row(name, str(len(s)), str(pos), str(len(s) - pos))
    console.print(table)
    report = info.report or {}
    probe = report.get("metadata_probe") or {}
    console.print(
        f"leakage probe (metadata only: {', '.join(probe.get('features', []))}): val AUC {probe.get('auc_val')} "
        f"(limit {probe.get('auc_threshold')})",
        markup=False,
    )
    for line in leakage_advice(report):  # why the probe is high and what data would bring it down
        console.print(f"  why: {line}", style="yellow", markup=False)
    flags = report.get("flags", [])
    for flag in flags:
        console.print(f"leakage flag: {flag}", style="bold yellow", markup=False)
    if flags:
        console.print(
            "(see `deep-classiflie dataset report`: metrics below can reflect when/where, not only falsehood)"
        )
    console.print(f"model version {model.model_version_id}: {model.name}", markup=False, soft_wrap=True)
    table = Table(title="Test metrics (head on cached features, CPU)")
    # MCC / accuracy / F1 at the per-type decision thresholds chosen on validation; MCC@0.5 for comparison
    for col in ("scope", "n", "AUC (95% CI)", "threshold", "MCC", "accuracy", "F1", "MCC@0.5"):
        table.add_column(col, justify="right" if col != "scope" else "left")
    for scope, metrics in result.metrics.items():
        auc = metrics.get("auc")
        auc_text = _fmt(auc.value if auc else None)
        if auc is not None and _finite(auc.value) and _finite(auc.ci_low) and _finite(auc.ci_high):
            auc_text += f" ({auc.ci_low:.3f}–{auc.ci_high:.3f})"
        keys = ("threshold", "mcc", "accuracy", "f1", "mcc@0.5")
        row = [_fmt(metrics[k].value if k in metrics else None) for k in keys]
        if scope == "all" and result.thresholds:
            row[0] = "per type"
        table.add_row(scope, str(result.counts.get(scope, "")), auc_text, *row)
    console.print(table)
    console.print("n/a: undefined for a scope holding one class only", style="dim")
    from deep_classiflie.model.classifier import fallback_notes

    for note in fallback_notes(fallbacks):  # types that take the all-rows cut, and why
        console.print(note, style="dim", markup=False)
    for (text, stype), p in zip(EXAMPLES, probs, strict=True):
        console.print(f"predict ({stype}) p(falsehood)={float(p[1]):.3f}  {text}", markup=False)
    console.print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
