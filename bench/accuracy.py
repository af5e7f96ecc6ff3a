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
context as a text prefix (``text_meta`` in its task YAML; the credit-history counts stay out).

Usage: ``.venv/bin/python bench/accuracy.py [--tasks liar_6way mediaeval_3class] [--split valid|test]
[--test-file PATH [--test-format liar|mediaeval]] [--full] [--data-dir DIR] [--config JOB.yaml] [--set k=v]``
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
from deep_classiflie.dataset.types import DatasetSplit, type_id

# Task → the sources its dataset is built from (ingested into the bench store first).
TASK_SOURCES = {
    "falsehood_binary": ["toronto_star", "cnn", "tweets"],
    "liar_binary": ["liar"],
    "liar_6way": ["liar"],
    "liar_6way_meta": ["liar"],
    "mediaeval_3class": ["mediaeval"],
}
# Test-file format → the tasks it can score.
FORMAT_TASKS = {"liar": ("liar_binary", "liar_6way", "liar_6way_meta"), "mediaeval": ("mediaeval_3class",)}


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
    path: Path, fmt: str, label_map: dict[str, int] | None, *, text_meta: Sequence[str] = ()
) -> DatasetSplit:
    """A test split from a LIAR-format TSV or MediaEval-format CSV, labels mapped as the task maps them.

    Steps: 1) parse with the ingest parser of the format (rejects are counted and left out);
    2) class = ``label_map[source_label]`` when the task has a map, else the parser's class;
    3) texts normalised as ingest stores them (e.g. LIAR's ``[health]`` editorial insertions dropped), then
    the task's ``text_meta`` prefix (the speaker joins the metadata, as in the dataset stage);
    4) aligned arrays, statement ids numbered from 0 (the rows are not in the store).
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
    labels, texts = [], []
    for r in records:
        assert r.label is not None  # benchmark parsers always attach the label
        labels.append(label_map[r.label.source_label] if label_map else r.label.label_class)
        text = normalise(r.text, ingest.normalise)
        texts.append(meta_text(text, {**r.meta, "speaker": r.speaker}, text_meta) if text_meta else text)
    return DatasetSplit(
        name="test",
        statement_ids=np.arange(len(records), dtype=np.int64),
        texts=texts,
        labels=np.array(labels, dtype=np.int64),
        type_ids=np.array([type_id(r.statement_type) for r in records], dtype=np.int64),
        weights=np.ones(len(records), dtype=np.float32),
        dates=np.full(len(records), np.datetime64("NaT"), dtype="datetime64[s]"),
    )


def run_task(task: str, args: argparse.Namespace) -> dict[str, Any]:
    """One row: train on the task's dataset, score the requested split or test file."""
    from deep_classiflie.config import load_config
    from deep_classiflie.dataset.build import build_collection
    from deep_classiflie.dataset.snapshot import load_splits
    from deep_classiflie.dataset.tasks import load_task
    from deep_classiflie.evaluate.report import evaluate_arrays
    from deep_classiflie.evaluate.run import as_predictions, predict, task_probabilities
    from deep_classiflie.model.classifier import load_classifier
    from deep_classiflie.train.api import train_model
    from deep_classiflie_db import migrate
    from deep_classiflie_db.engine import make_engine
    from deep_classiflie_db.ingest.registry import import_source

    started = time.perf_counter()
    # 1) config of this task, everything under the bench data dir
    data_dir = args.data_dir.resolve()
    overrides = [
        *args.overrides,
        f"dataset.task={task}",
        f"dataset.name=bench_{task}",
        f"paths.data_dir={data_dir}",
        f"paths.runs_dir={data_dir / 'runs'}",
    ]
    config = load_config(args.config, overrides)
    spec = load_task(config.dataset)
    # 2) store with the task's sources (idempotent: re-runs insert nothing new)
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{data_dir / 'bench.sqlite'}")
    migrate.upgrade(engine)
    for source in TASK_SOURCES[task]:
        import_source(engine, source, path=None, config=config)
    # 3) dataset and model
    info = build_collection(engine, config)
    splits = load_splits(info.snapshot_dir)
    model = train_model(engine, config, splits, collection_id=info.id, out_dir=data_dir / "runs", full=args.full)
    classifier = load_classifier(model.folder)
    # 4) what to score
    if args.split == "valid":
        split = splits["val"]
    elif args.test_file is not None:
        fmt = detect_format(args.test_file, args.test_format)
        split = read_test_file(args.test_file, fmt, spec.label_map, text_meta=spec.text_meta)
    else:
        split = splits["test"]
    probs = task_probabilities(predict(classifier, split, config.evaluate.batch_size))
    result = evaluate_arrays(as_predictions(split, probs), config.evaluate, split=split.name)
    all_metrics = result.metrics["all"]
    row: dict[str, Any] = {"task": task, "schedule": schedule_label(args.full), "n": result.n}
    for key in ("auc", "mcc", "accuracy", "macro_f1"):
        row[key] = all_metrics[key].value if key in all_metrics else None
    row["seconds"] = round(time.perf_counter() - started)
    return row


def _fmt(x: object) -> str:
    return "–" if x is None or (isinstance(x, float) and x != x) else (f"{x:.3f}" if isinstance(x, float) else str(x))


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
    args = parser.parse_args(argv)
    tasks = args.tasks or sorted(TASK_SOURCES)
    if args.test_file is not None:
        if args.split != "test":
            parser.error("--test-file needs --split test")
        fmt_tasks = FORMAT_TASKS[detect_format(args.test_file, args.test_format)]
        tasks = [t for t in tasks if t in fmt_tasks]
    rows = []
    print(f"| task | schedule | n | AUC | MCC | accuracy | macro-F1 | seconds |  ({args.split})")
    print("|---|---|---|---|---|---|---|---|")
    for task in tasks:
        try:
            row = run_task(task, args)
        except DeepClassiflieError as exc:
            print(f"| {task} | {schedule_label(args.full)} | Error: {exc} ||||||")
            continue
        rows.append(row)
        cells = [row[k] for k in ("task", "schedule", "n", "auc", "mcc", "accuracy", "macro_f1", "seconds")]
        print("| " + " | ".join(_fmt(c) for c in cells) + " |", flush=True)
    result = " ".join(
        f"{r['task']}_{k}={_fmt(r[k])}"
        for r in rows
        for k in ("auc", "mcc", "accuracy", "macro_f1", "seconds")
        if r[k] is not None
    )
    mode = "full" if args.full else "head"
    print(f"RESULT split={args.split} mode={mode} tasks={len(rows)} {result}".rstrip())
    return 0 if len(rows) == len(tasks) else 1


if __name__ == "__main__":
    sys.exit(main())
