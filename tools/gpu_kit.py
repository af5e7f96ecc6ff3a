"""Pack what the GPU checks need into ``.gpu_kit/`` (git-ignored), for a machine with a GPU but no network, none
of this project's store/config dependencies and no shared data, where every minute counts:

* ``encoder/``: the encoder (default: the packaged all-MiniLM-L6-v2) saved in bf16 safetensors with its tokenizer,
  half the bytes to carry; it loads as fp32 (``model.encoder.load_encoder``);
* ``snapshots/<task>/``: the dataset snapshots given with ``--snapshot TASK=DIR`` (``datasets/<hash>`` folders of a
  data dir, e.g. ``.dc/bench_acc`` after ``bench/accuracy.py``), arrays re-saved compressed, which
  ``bench/accuracy.py --snapshot`` trains on;
* ``shared/``: what ``bench/train_throughput.py`` reads (``DC_SHARED``): the tweet archive cut to its text field and
  gzipped, the Toronto Star claims and the ALBERT SentencePiece model;
* ``wheels/``: wheels of the packages that machine lacks, for its Python (``--python-version``, default 3.12), at
  the versions installed here;
* ``run.sh``: the one script: versions, wheels into a temporary folder, the throughput bench, then the full-schedule
  accuracy rows, each bounded by ``timeout``, every log under ``$OUT`` (default ``.gpu_kit/out``).

Usage (then carry ``.gpu_kit`` and run ``bash .gpu_kit/run.sh`` from the repository root there)::

    .venv/bin/python tools/gpu_kit.py --data-dir .dc/bench_acc [--tasks falsehood_binary ...]
    .venv/bin/python tools/gpu_kit.py --snapshot falsehood_binary=.dc/bench_acc/datasets/<hash> [--snapshot ...]
        [--encoder PATH] [--shared ../shared] [--no-wheels]

``--data-dir`` takes, for each of ``--tasks`` (default: the five rows of ``bench/accuracy.py`` other than the leaky
one), the newest snapshot that ``bench/accuracy.py --data-dir DIR`` built for it.

The kit must stay under ``--max-mib`` (default 61: 64 MiB can be carried in all, the working tree takes ~2).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Imported on the accuracy and throughput paths but not on that machine (its torch, transformers, numpy, pandas,
# scikit-learn, PyYAML, safetensors, tokenizers and sentencepiece are used as they are).
WHEELS = (
    "sqlalchemy",
    "alembic",
    "mako",
    "markupsafe",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-inspection",
    "typing-extensions",
    "rich",
    "markdown-it-py",
    "mdurl",
    "pygments",
)
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
TWEETS = Path("data/trump_tweets_condensed_2009_2019")
CLAIMS = Path("data/toronto_star_trump_false_claims_2017_2018/liar.csv")
SPIECE = Path("models/albert-base-v2/spiece.model")

RUN_SH = """#!/usr/bin/env bash
# Written by tools/gpu_kit.py. From the repository root: bash .gpu_kit/run.sh (logs under $OUT, else .gpu_kit/out).
# THROUGHPUT_S / ACCURACY_S bound each step (seconds); THROUGHPUT_ARGS / ACCURACY_ARGS add arguments (a CPU smoke
# run: THROUGHPUT_ARGS="--device cpu --tiny" ACCURACY_ARGS="--set train.finetune.max_epochs=1").
set -uo pipefail
K=.gpu_kit
O=${{OUT:-$K/out}}
PY=${{PYTHON:-python3}}
mkdir -p "$O"
export PYTHONUNBUFFERED=1
{{ nvidia-smi || true; $PY -c 'import torch, transformers; print(torch.__version__, transformers.__version__, \
torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU")'; $PY -m pip list; }} > "$O/env.txt" 2>&1
S=$(mktemp -d)
$PY -m pip install -q --no-index --no-deps --target "$S/site" $K/wheels/*.whl > "$O/pip.txt" 2>&1 || true
export PYTHONPATH="$S/site:$PWD" DC_SHARED="$PWD/$K/shared"
echo "== throughput $(date -u +%T)" | tee -a "$O/steps.txt"
timeout "${{THROUGHPUT_S:-200}}" $PY bench/train_throughput.py ${{THROUGHPUT_ARGS:-}} > "$O/throughput.log" 2>&1
echo "rc=$? $(date -u +%T)" | tee -a "$O/steps.txt"
echo "== accuracy (full schedule) $(date -u +%T)" | tee -a "$O/steps.txt"
timeout "${{ACCURACY_S:-330}}" $PY bench/accuracy.py --full --config configs/train_full.yaml --data-dir "$S/dc" \\
  --set "encoder.path=$PWD/$K/encoder" {snapshots} --tasks {tasks} ${{ACCURACY_ARGS:-}} > "$O/accuracy.log" 2>&1
echo "rc=$? $(date -u +%T)" | tee -a "$O/steps.txt"
grep -h '^RESULT\\|^|' "$O/throughput.log" "$O/accuracy.log" | tee "$O/summary.txt"
"""


def parse_snapshot(value: str) -> tuple[str, Path]:
    from deep_classiflie.dataset.snapshot import MANIFEST, read_manifest

    task, sep, folder = value.partition("=")
    path = Path(folder)
    if not sep or not task or not (path / MANIFEST).is_file():
        raise argparse.ArgumentTypeError(f"{value!r}: expected TASK=DIR, DIR a dataset snapshot (with {MANIFEST})")
    built = read_manifest(path).get("task")
    if built != task:
        raise argparse.ArgumentTypeError(f"{value!r}: that snapshot was built for task {built!r}")
    return task, path


DEFAULT_TASKS = ("falsehood_binary", "mediaeval_3class", "liar_6way", "liar_6way_meta", "liar_binary")


def bench_snapshots(data_dir: Path, tasks: list[str]) -> list[tuple[str, Path]]:
    """The newest snapshot ``bench/accuracy.py --data-dir data_dir`` built for each task (named ``bench_<task>``)."""
    from deep_classiflie.dataset.snapshot import MANIFEST, read_manifest

    found: dict[str, tuple[float, Path]] = {}
    for manifest in (data_dir / "datasets").glob(f"*/{MANIFEST}"):
        body = read_manifest(manifest.parent)
        task, mtime = body.get("task"), manifest.stat().st_mtime
        if task in tasks and body.get("name") == f"bench_{task}" and mtime > found.get(task, (-1.0, manifest))[0]:
            found[task] = (mtime, manifest.parent)
    missing = [t for t in tasks if t not in found]
    if missing:
        raise SystemExit(
            f"Error: no snapshot of {', '.join(missing)} under {data_dir / 'datasets'}; "
            f"run `bench/accuracy.py --data-dir {data_dir} --tasks {' '.join(missing)}` first"
        )
    return [(t, found[t][1]) for t in tasks]


def save_encoder(source: str | None, target: Path) -> None:
    """The encoder in bf16 safetensors (``load_encoder`` turns it back to fp32), with its tokenizer."""
    import torch

    from deep_classiflie.model.encoder import load_encoder

    encoder = load_encoder(source)
    model: Any = encoder.model.to(torch.bfloat16)
    model.save_pretrained(target)
    encoder.tokenizer.save_pretrained(target)


def copy_snapshot(source: Path, target: Path) -> None:
    """The snapshot folder with its ``.npz`` arrays re-saved compressed (``load_splits`` reads either)."""
    import numpy as np

    target.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                np.savez_compressed(target / path.name, allow_pickle=False, **{k: z[k] for k in z.files})
        elif path.is_file():
            shutil.copy2(path, target / path.name)


def copy_shared(shared: Path, target: Path) -> None:
    """Tweets (text only, gzipped), the Star claims and the SentencePiece model, under the shared folder's paths."""
    for path in sorted((shared / TWEETS).glob("condensed_*.json")):
        rows = json.loads(path.read_text(encoding="utf-8"))
        out = target / TWEETS / f"{path.name}.gz"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(gzip.compress(json.dumps([{"text": r["text"]} for r in rows]).encode(), mtime=0))
    for rel in (CLAIMS, SPIECE):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shared / rel, target / rel)


def download_wheels(target: Path, python_version: str) -> None:
    """``pip download`` of :data:`WHEELS` at the versions installed here, for the other machine's Python."""
    pins = [f"{name}=={metadata.version(name)}" for name in WHEELS]
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(target)]
    cmd += ["--python-version", python_version, "--implementation", "cp", *platforms, *pins]
    subprocess.run(cmd, check=True)


def size_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", action="append", type=parse_snapshot, default=[], metavar="TASK=DIR")
    parser.add_argument("--data-dir", type=Path, help="take the snapshots bench/accuracy.py built there")
    parser.add_argument("--tasks", nargs="+", default=list(DEFAULT_TASKS), help="with --data-dir")
    parser.add_argument("--out", type=Path, default=ROOT / ".gpu_kit")
    parser.add_argument("--encoder", help="encoder folder or packaged name (default: all-MiniLM-L6-v2)")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument("--no-wheels", dest="wheels", action="store_false")
    parser.add_argument("--max-mib", type=float, default=61.0)
    args = parser.parse_args(argv)
    snapshots = list(args.snapshot) + (bench_snapshots(args.data_dir, args.tasks) if args.data_dir else [])
    if not snapshots:
        parser.error("give --data-dir DIR or --snapshot TASK=DIR")
    if not (args.shared / SPIECE).is_file():
        parser.error(f"no shared data at {args.shared} (missing {SPIECE}); pass --shared DIR")
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    save_encoder(args.encoder, out / "encoder")
    tasks = []
    for task, folder in snapshots:
        copy_snapshot(folder, out / "snapshots" / task)
        tasks.append(task)
    copy_shared(args.shared, out / "shared")
    (out / "wheels").mkdir()
    if args.wheels:
        download_wheels(out / "wheels", args.python_version)
    flags = " ".join(f'--snapshot "{t}=$PWD/$K/snapshots/{t}"' for t in tasks)
    (out / "run.sh").write_text(RUN_SH.format(snapshots=flags, tasks=" ".join(tasks)), encoding="utf-8")
    mib = size_mib(out)
    print(f"{out}: {mib:.1f} MiB, tasks {' '.join(tasks)}")
    if mib > args.max_mib:
        print(f"Error: the kit is {mib:.1f} MiB, over --max-mib {args.max_mib}; carry fewer snapshots", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
