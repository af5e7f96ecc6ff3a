"""Accuracy of every task: ingest → build dataset → train → score, one table row per task.

Each task comes from ``configs/tasks/<task>.yaml`` (layered over ``configs/defaults.yaml``, a job
YAML and ``--set``). ``--split valid`` scores the dataset's validation split; ``--split test``
scores its test split, or a test file given by path (LIAR ``test.tsv`` format or MediaEval CSV
format, detected from the suffix or named with ``--test-format``) without code changes.

Rows say which schedule produced them and on which device: "head-only (CPU)" (the default: the head
trained on cached, frozen encoder features) or "full schedule + SWA (CPU|GPU)" (``--full``: the thaw-schedule
fine-tuning of encoder + head, then SWA over the kept checkpoints), and the task's wall time in seconds
(ingest, dataset, features or fine-tuning, scoring).

``liar_6way`` reads the statement only; ``liar_6way_meta`` reads speaker, party, job, state, subjects and
context as a text prefix (``text_meta`` in its task YAML; the credit-history counts stay out);
``liar_6way_credit`` adds the credit-history counts, which include the statement's own label (leaky:
shown for comparison with the literature, never a result).

Every row also trains and scores, in the same run, on the same split and with the same class weights, the
baseline of ``bench/baseline.py`` (TF-IDF 1-2-grams, sublinear tf + logistic regression, plus the task's
metadata where the model reads it), and prints the difference on the task's headline metric (AUC for
binary tasks, accuracy for LIAR 6-way, MCC for MediaEval). Binary tasks are scored at the decision
thresholds chosen per statement type on validation (model and baseline alike) and at 0.5.

Usage: ``.venv/bin/python bench/accuracy.py [--tasks liar_6way mediaeval_3class] [--split valid|test]
[--test-file PATH [--test-format liar|mediaeval]] [--full] [--data-dir DIR] [--config JOB.yaml] [--set k=v]
[--snapshot TASK=DIR]``. ``--snapshot`` trains on a dataset snapshot folder already built (``datasets/<hash>`` under
a data dir) instead of ingesting and building: no store, no shared data, e.g. on a machine that has neither.
The last printed line is ``RESULT key=value …``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deep_classiflie.core.errors import DataSourceError, DeepClassiflieError
from deep_classiflie.dataset.types import TYPE_IDS, DatasetSplit, type_id

# Task → the sources its dataset is built from (ingested into the bench store first).
TASK_SOURCES = {
    # the demo's sources: both Star lists and the same period's tweets and transcripts (configs/demo.yaml)
    "falsehood_binary": [
        "toronto_star",
        "toronto_star_full",
        "tweets",
        "factbase_interviews",
        "miller_center",
        "miller_center_2017_2018",
        "presidency_project",
    ],
    "liar_binary": ["liar"],
    "liar_6way": ["liar"],
    "liar_6way_meta": ["liar"],
    "liar_6way_credit": ["liar"],
    "mediaeval_3class": ["mediaeval"],
}
# Bench rows that are a task YAML with overrides: row name → (task, extra --set overrides).
# The LIAR importer stores the five credit-history counts as separate meta keys (not under the task's
# credit_history_key), so the leaky row one-hot encodes them as metadata (top values per count + other).
CREDIT_KEYS = "barely_true_count,false_count,half_true_count,mostly_true_count,pants_on_fire_count"
TASK_VARIANTS = {
    "liar_6way_credit": (
        "liar_6way_meta",
        ["dataset.use_credit_history=true", f"dataset.meta_features=[{CREDIT_KEYS}]"],
    )
}
LEAKY = {"liar_6way_credit"}
# The metric a row is judged on (and its delta to the baseline).
HEADLINE = {
    "falsehood_binary": "auc",
    "liar_binary": "auc",
    "liar_6way": "accuracy",
    "liar_6way_meta": "accuracy",
    "liar_6way_credit": "accuracy",
    "mediaeval_3class": "mcc",
}
METRICS = ("auc", "mcc", "accuracy", "macro_f1")
# Test-file format → the tasks it can score.
FORMAT_TASKS = {
    "liar": ("liar_binary", "liar_6way", "liar_6way_meta", "liar_6way_credit"),
    "mediaeval": ("mediaeval_3class",),
}


def schedule_label(full: bool) -> str:
    """What produced a row: the head on cached features (always CPU here) or the full schedule, and where."""
    if not full:
        return "head-only (CPU)"
    import torch

    return f"full schedule + SWA ({'GPU' if torch.cuda.is_available() else 'CPU'})"


def detect_format(path: Path, given: str | None) -> str:
    """``liar`` for ``.tsv`` files, ``mediaeval`` for ``.csv``, unless ``--test-format`` says."""
    if given:
        return given
    suffix = path.suffix.lower()
    if suffix in (".tsv", ".txt"):
        return "liar"
    if suffix == ".csv":
        return "mediaeval"
    raise DataSourceError(
        f"cannot tell the format of test file {path}", hint="pass --test-format liar or --test-format mediaeval"
    )


def read_test_file(
    path: Path,
    fmt: str,
    label_map: dict[str, int] | None,
    *,
    text_meta: Sequence[str] = (),
    meta_names: Sequence[str] = (),
) -> DatasetSplit:
    """A test split from a LIAR-format TSV or MediaEval-format CSV, labels mapped as the task maps them.

    Steps: 1) parse with the ingest parser of the format (rejects are counted and left out);
    2) class = ``label_map[source_label]`` when the task has a map, else the parser's class;
    3) texts normalised as ingest stores them (e.g. LIAR's ``[health]`` editorial insertions dropped), then
    the task's ``text_meta`` prefix (the speaker joins the metadata, as in the dataset stage);
    4) aligned arrays, statement ids numbered from 0 (the rows are not in the store); the metadata block
    of ``meta_names`` (the training snapshot's columns) when given.
    """
    from deep_classiflie.config.ingest import IngestConfig
    from deep_classiflie.core.text import normalise
    from deep_classiflie.dataset.tasks import meta_text
    from deep_classiflie_db.ingest.benchmarks import parse_liar, parse_mediaeval
    from deep_classiflie_db.ingest.pipeline import StatementRecord

    if not path.is_file():
        raise DataSourceError(f"test file {path} does not exist", hint="give the path of a LIAR .tsv or MediaEval .csv")
    parser = {"liar": parse_liar, "mediaeval": parse_mediaeval}[fmt]
    ingest = IngestConfig.model_validate({})
    records = [r for r in parser(path.read_bytes(), config=ingest, name=path.name) if isinstance(r, StatementRecord)]
    if not records:
        raise DataSourceError(f"no usable rows in {path} as {fmt} format", hint="check the file's format and columns")
    from deep_classiflie.model.sparse import encode_meta

    labels, texts, metas = [], [], []
    for r in records:
        assert r.label is not None  # benchmark parsers always attach the label
        labels.append(label_map[r.label.source_label] if label_map else r.label.label_class)
        text = normalise(r.text, ingest.normalise)
        metas.append({**(r.meta or {}), "speaker": r.speaker})
        texts.append(meta_text(text, metas[-1], text_meta) if text_meta else text)
    return DatasetSplit(
        name="test",
        statement_ids=np.arange(len(records), dtype=np.int64),
        texts=texts,
        labels=np.array(labels, dtype=np.int64),
        type_ids=np.array([type_id(r.statement_type) for r in records], dtype=np.int64),
        weights=np.ones(len(records), dtype=np.float32),
        dates=np.full(len(records), np.datetime64("NaT"), dtype="datetime64[s]"),
        meta=encode_meta(metas, meta_names) if meta_names else None,
        meta_names=tuple(meta_names),
    )


def check_snapshot(folder: Path, task: str) -> None:
    """A ``--snapshot`` folder must hold a snapshot of ``task`` (its manifest says which task built it)."""
    from deep_classiflie.dataset.snapshot import read_manifest

    built = read_manifest(folder).get("task")
    if built != task:
        raise DataSourceError(
            f"the snapshot at {folder} was built for task {built!r}, not {task!r}",
            hint=f"pass --snapshot {task}=<a datasets/<hash> folder built with dataset.task={task}>",
        )


def parse_snapshots(values: Sequence[str]) -> dict[str, Path]:
    """``TASK=DIR`` pairs of ``--snapshot``; a bad pair is a usage error naming the fix."""
    out = {}
    for value in values:
        task, sep, folder = value.partition("=")
        if not sep or task not in TASK_SOURCES or not folder:
            raise ValueError(
                f"--snapshot {value!r}: expected TASK=DIR with TASK one of {', '.join(sorted(TASK_SOURCES))}"
            )
        if task in TASK_VARIANTS:  # its dataset settings differ from the base task's snapshot
            raise ValueError(f"--snapshot {value!r}: {task} is built from its own settings; run it without --snapshot")
        out[task] = Path(folder)
    return out


def run_task(task: str, args: argparse.Namespace) -> dict[str, Any]:
    """One row: train on the task's dataset, score the requested split or test file, and the baseline."""
    from deep_classiflie.config import load_config
    from deep_classiflie.dataset.build import build_collection
    from deep_classiflie.dataset.snapshot import load_splits
    from deep_classiflie.dataset.tasks import load_task
    from deep_classiflie.evaluate.run import predict, task_probabilities
    from deep_classiflie.model.classifier import load_classifier
    from deep_classiflie.train.api import train_model
    from deep_classiflie.train.head import training_weights
    from deep_classiflie.train.hybrid import head_features
    from deep_classiflie_db import migrate
    from deep_classiflie_db.engine import make_engine
    from deep_classiflie_db.ingest.registry import import_source

    started = time.perf_counter()
    # 1) config of this task, everything under the bench data dir
    data_dir = args.data_dir.resolve()
    base_task, variant = TASK_VARIANTS.get(task, (task, []))
    overrides = [
        *args.overrides,
        *variant,
        f"dataset.task={base_task}",
        f"dataset.name=bench_{task}",
        f"paths.data_dir={data_dir}",
        f"paths.runs_dir={data_dir / 'runs'}",
    ]
    config = load_config(args.config, overrides)
    spec = load_task(config.dataset)
    data_dir.mkdir(parents=True, exist_ok=True)
    snapshot = args.snapshots.get(task)
    if snapshot is None:
        # 2) store with the task's sources (idempotent: re-runs insert nothing new)
        engine = make_engine(f"sqlite:///{data_dir / 'bench.sqlite'}")
        migrate.upgrade(engine)
        for source in TASK_SOURCES[task]:
            import_source(engine, source, path=None, config=config)
        # 3) dataset, then the model below
        info = build_collection(engine, config)
        splits, collection_id = load_splits(info.snapshot_dir), info.id
    else:  # 2-3) a snapshot built elsewhere: no store
        check_snapshot(snapshot, base_task)
        engine, splits, collection_id = None, load_splits(snapshot), None
    model = train_model(engine, config, splits, collection_id=collection_id, out_dir=data_dir / "runs", full=args.full)
    classifier = load_classifier(model.folder)
    # 4) what to score
    if args.split == "valid":
        split = splits["val"]
    elif args.test_file is not None:
        fmt = detect_format(args.test_file, args.test_format)
        names = splits["train"].meta_names
        split = read_test_file(args.test_file, fmt, spec.label_map, text_meta=spec.text_meta, meta_names=names)
    else:
        split = splits["test"]
    probs = task_probabilities(predict(classifier, split, config.evaluate.batch_size))
    row: dict[str, Any] = {"task": task, "schedule": schedule_label(args.full), "leaky": task in LEAKY}
    row.update(score(split, probs, config.evaluate, classifier.thresholds))
    row["seconds"] = round(time.perf_counter() - started)
    # 5) the baseline: same training split and weights, same scored split, same threshold rule
    from bench.baseline import baseline_probabilities, baseline_thresholds

    use_meta = "meta" in head_features(config) and splits["train"].meta is not None
    weights = training_weights(splits["train"], config.train.class_weight)
    base, fit_s = baseline_probabilities(
        splits["train"], {"val": splits["val"], "scored": split}, use_meta=use_meta, weights=weights
    )
    cuts = baseline_thresholds(
        splits["val"],
        base["val"],
        config.train.threshold_objective,
        bootstrap=config.train.threshold_bootstrap,
        seed=config.train.seed,
        min_per_class=config.train.threshold_min_per_class,
    )
    baseline = score(split, task_probabilities(base["scored"]), config.evaluate, cuts)
    row.update({f"baseline_{k}": v for k, v in baseline.items() if k in METRICS})
    row["baseline_seconds"] = round(fit_s)
    headline = HEADLINE[task]
    ours, theirs = row.get(headline), row.get(f"baseline_{headline}")
    row["delta"] = None if ours is None or theirs is None else ours - theirs
    return row


def score(split: DatasetSplit, probs: np.ndarray, config: Any, thresholds: dict[str, float]) -> dict[str, Any]:
    """Headline metrics of one scored split; binary: at the per-type cuts, at 0.5, and per statement type."""
    from deep_classiflie.evaluate.report import evaluate_arrays
    from deep_classiflie.evaluate.run import as_predictions

    cfg = config.model_copy(update={"bootstrap_samples": 0})  # point estimates: the bench compares, not infers
    result = evaluate_arrays(as_predictions(split, probs), cfg, split=split.name, thresholds=thresholds)
    out: dict[str, Any] = {"n": result.n}
    for scope, metrics in result.metrics.items():
        prefix = "" if scope == "all" else f"{scope}_"
        for key in (*METRICS, "mcc@0.5", "accuracy@0.5", "threshold"):
            if key in metrics and (scope == "all" or key in ("auc", "mcc", "mcc@0.5", "threshold")):
                out[prefix + key.replace("@", "_at_")] = metrics[key].value
        if scope != "all" and probs.ndim == 1:
            out[f"{scope}_classes"] = len(np.unique(split.labels[split.type_ids == TYPE_IDS[scope]]))
    return out


def _fmt(x: object) -> str:
    return "–" if x is None or (isinstance(x, float) and x != x) else (f"{x:.3f}" if isinstance(x, float) else str(x))


COLUMNS = ("task", "schedule", "n", "auc", "mcc", "accuracy", "macro_f1", "baseline", "delta", "seconds")


def table_row(row: dict[str, Any]) -> str:
    """One Markdown table row: ours, the baseline on the headline metric, the difference."""
    headline = HEADLINE[row["task"]]
    cells = dict(row)
    cells["task"] = row["task"] + (" (leaky)" if row.get("leaky") else "")
    cells["baseline"] = f"{headline} {_fmt(row.get('baseline_' + headline))}"
    cells["delta"] = "–" if row.get("delta") is None else f"{row['delta']:+.3f}"
    return "| " + " | ".join(_fmt(cells.get(c)) for c in COLUMNS) + " |"


def scope_lines(row: dict[str, Any]) -> list[str]:
    """Per statement type lines of a binary row (AUC, MCC at the chosen cut and at 0.5, classes present)."""
    out = []
    for scope in ("tweet", "non_tweet"):
        if f"{scope}_classes" in row:  # binary rows only
            out.append(
                f"    {row['task']} {scope}: AUC {_fmt(row.get(scope + '_auc'))}, MCC {_fmt(row.get(scope + '_mcc'))} "
                f"at threshold {_fmt(row.get(scope + '_threshold'))}, MCC@0.5 {_fmt(row.get(scope + '_mcc_at_0.5'))}, "
                f"classes {row.get(scope + '_classes', '–')}"
            )
    return out


RESULT_KEYS = (
    *METRICS,
    "mcc_at_0.5",
    "accuracy_at_0.5",
    *(f"{s}_{m}" for s in ("tweet", "non_tweet") for m in ("auc", "mcc", "mcc_at_0.5", "threshold")),
    *(f"baseline_{m}" for m in METRICS),
    "delta",
    "seconds",
)


def result_line(rows: list[dict[str, Any]], *, split: str, mode: str) -> str:
    """The last line: ``RESULT split=… mode=… tasks=N <task>_<key>=<value> …`` (keys of :data:`RESULT_KEYS`)."""
    result = " ".join(f"{r['task']}_{k}={_fmt(r[k])}" for r in rows for k in RESULT_KEYS if r.get(k) is not None)
    return f"RESULT split={split} mode={mode} tasks={len(rows)} {result}".rstrip()


def main(argv: list[str] | None = None) -> int:
    """Run the tasks, print the table and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASK_SOURCES), help="default: every task")
    parser.add_argument("--split", choices=["valid", "test"], default="valid")
    parser.add_argument("--test-file", type=Path, help="with --split test: a LIAR .tsv or MediaEval .csv test file")
    parser.add_argument("--test-format", choices=sorted(FORMAT_TASKS))
    parser.add_argument(
        "--full", action="store_true", help="the full fine-tuning schedule instead of the head on cached features"
    )
    parser.add_argument("--data-dir", type=Path, default=Path(".dc/bench_accuracy"))
    parser.add_argument("--config", type=Path, help="job YAML layered over configs/defaults.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--snapshot", action="append", default=[], metavar="TASK=DIR", help="train on a built dataset snapshot"
    )
    args = parser.parse_args(argv)
    try:
        args.snapshots = parse_snapshots(args.snapshot)
    except ValueError as exc:
        parser.error(str(exc))
    tasks = args.tasks or sorted(TASK_SOURCES)
    if args.test_file is not None:
        if args.split != "test":
            parser.error("--test-file needs --split test")
        fmt_tasks = FORMAT_TASKS[detect_format(args.test_file, args.test_format)]
        tasks = [t for t in tasks if t in fmt_tasks]
    rows = []
    print(f"| task | schedule | n | AUC | MCC | accuracy | macro-F1 | baseline | Δ | seconds |  ({args.split})")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for task in tasks:
        try:
            row = run_task(task, args)
        except DeepClassiflieError as exc:
            print(f"| {task} | {schedule_label(args.full)} | Error: {exc} ||||||||")
            continue
        rows.append(row)
        print(table_row(row), flush=True)
        for line in scope_lines(row):
            print(line, flush=True)
    print(result_line(rows, split=args.split, mode="full" if args.full else "head"))
    return 0 if len(rows) == len(tasks) else 1


if __name__ == "__main__":
    sys.exit(main())
