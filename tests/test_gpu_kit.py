"""tools/gpu_kit.py: the kit a GPU machine without network, store dependencies or shared data runs from."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import gpu_kit  # noqa: E402


def _snapshot(folder: Path, task: str) -> Path:
    folder.mkdir(parents=True)
    files = {}
    for split, n in (("train", 12), ("val", 6), ("test", 6)):
        raw = [f"statement {i} of {split} about the wall".encode() for i in range(n)]
        np.savez(
            folder / f"{split}.npz",
            statement_ids=np.arange(n, dtype=np.int64),
            labels=(np.arange(n) % 2).astype(np.int64),
            type_ids=np.zeros(n, np.int64),
            weights=np.ones(n, np.float32),
            dates=np.full(n, np.datetime64("NaT"), dtype="datetime64[s]"),
            text_bytes=np.frombuffer(b"".join(raw), np.uint8),
            text_offsets=np.r_[0, np.cumsum([len(b) for b in raw])].astype(np.int64),
        )
        files[split] = {"file": f"{split}.npz", "n": n}
    (folder / "manifest.json").write_text(json.dumps({"task": task, "splits": files, "meta_names": []}))
    return folder


def _shared(folder: Path) -> Path:
    tweets = folder / gpu_kit.TWEETS
    tweets.mkdir(parents=True)
    (tweets / "condensed_2017.json").write_text(json.dumps([{"text": "Make it great", "id_str": "1", "x": 2}]))
    (folder / gpu_kit.CLAIMS).parent.mkdir(parents=True)
    (folder / gpu_kit.CLAIMS).write_text("claim\nwe have the biggest\n")
    (folder / gpu_kit.SPIECE).parent.mkdir(parents=True)
    (folder / gpu_kit.SPIECE).write_bytes(b"sentencepiece")
    return folder


def test_kit_holds_a_bf16_encoder_compressed_snapshots_and_the_script(tmp_path: Path, tiny_encoder_path: Path) -> None:
    from safetensors import safe_open

    from deep_classiflie.dataset.snapshot import load_splits
    from deep_classiflie.model.encoder import load_encoder

    snap = _snapshot(tmp_path / "snap", "falsehood_binary")
    out = tmp_path / "kit"
    args = ["--out", str(out), "--encoder", str(tiny_encoder_path), "--shared", str(_shared(tmp_path / "shared"))]
    assert gpu_kit.main([*args, "--snapshot", f"falsehood_binary={snap}", "--no-wheels"]) == 0
    with safe_open(str(out / "encoder" / "model.safetensors"), "pt") as f:
        assert {str(f.get_slice(k).get_dtype()) for k in f.keys()} == {"BF16"}  # noqa: SIM118
    assert {p.dtype for p in load_encoder(out / "encoder").model.parameters()} == {torch.float32}
    # the snapshot reads back the same, from compressed arrays
    copied, original = load_splits(out / "snapshots" / "falsehood_binary"), load_splits(snap)
    assert copied["val"].texts == original["val"].texts and (copied["train"].labels == original["train"].labels).all()
    with np.load(out / "snapshots" / "falsehood_binary" / "train.npz") as z:
        assert z.zip.infolist()[0].compress_type != 0  # type: ignore[attr-defined]
    # tweets: the text field only, gzipped; the rest as it is
    gz = out / "shared" / gpu_kit.TWEETS / "condensed_2017.json.gz"
    assert json.loads(gzip.decompress(gz.read_bytes())) == [{"text": "Make it great"}]
    assert (out / "shared" / gpu_kit.SPIECE).read_bytes() == b"sentencepiece"
    script = (out / "run.sh").read_text()
    assert '--snapshot "falsehood_binary=$PWD/$K/snapshots/falsehood_binary"' in script
    assert "--tasks falsehood_binary" in script and 'timeout "${ACCURACY_S:-330}"' in script
    subprocess.run(["bash", "-n", str(out / "run.sh")], check=True)


def test_a_kit_over_the_size_limit_fails_with_an_error_line(
    tmp_path: Path, tiny_encoder_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = _snapshot(tmp_path / "snap", "liar_6way")
    args = ["--out", str(tmp_path / "kit"), "--encoder", str(tiny_encoder_path), "--no-wheels", "--max-mib", "0.01"]
    args += ["--shared", str(_shared(tmp_path / "shared")), "--snapshot", f"liar_6way={snap}"]
    assert gpu_kit.main(args) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("Error: the kit is ")


def test_a_snapshot_of_another_task_or_missing_shared_data_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = _snapshot(tmp_path / "snap", "liar_6way")
    with pytest.raises(SystemExit) as exc:
        gpu_kit.main(["--snapshot", f"falsehood_binary={snap}", "--shared", str(tmp_path)])
    assert exc.value.code == 2 and "built for task 'liar_6way'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        gpu_kit.main(["--snapshot", f"liar_6way={snap}", "--shared", str(tmp_path / "none")])
    assert exc.value.code == 2 and "no shared data at" in capsys.readouterr().err


def test_train_throughput_reads_the_kits_gzipped_tweets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT))
    from bench import train_throughput

    shared = _shared(tmp_path / "shared")
    gz = shared / gpu_kit.TWEETS / "condensed_2018.json.gz"
    gz.write_bytes(gzip.compress(json.dumps([{"text": "one two three four five six seven"}]).encode()))
    monkeypatch.setattr(train_throughput, "SHARED", shared)
    texts, types = train_throughput.load_statements(None, 4, 20)  # "Make it great" is too short
    assert texts == ["one two three four five six seven", "we have the biggest"] and types == [0, 1]


def test_data_dir_takes_the_newest_bench_snapshot_of_each_task(tmp_path: Path) -> None:
    import os

    datasets = tmp_path / "dc" / "datasets"
    old, new = _snapshot(datasets / "a", "liar_6way"), _snapshot(datasets / "b", "liar_6way")
    other = _snapshot(datasets / "c", "falsehood_binary")
    for folder, name in ((old, "bench_liar_6way"), (new, "bench_liar_6way"), (other, "trump_falsehoods")):
        body = json.loads((folder / "manifest.json").read_text())
        (folder / "manifest.json").write_text(json.dumps({**body, "name": name}))
    os.utime(old / "manifest.json", (1, 1))
    assert gpu_kit.bench_snapshots(tmp_path / "dc", ["liar_6way"]) == [("liar_6way", new)]
    with pytest.raises(SystemExit, match=r"Error: no snapshot of falsehood_binary under .* --tasks falsehood_binary"):
        gpu_kit.bench_snapshots(tmp_path / "dc", ["liar_6way", "falsehood_binary"])  # the demo's is not a bench one
