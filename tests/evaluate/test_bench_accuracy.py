"""bench/accuracy.py reads a test file by path in LIAR or MediaEval format, labels mapped as the task maps them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.accuracy import detect_format, read_test_file, schedule_label
from deep_classiflie.core.errors import DataSourceError

LIAR_ROW = '{id}.json\t{label}\tSays the "economy" is {label}.\teconomy\tjane-doe\tsenator\tTexas\trepublican\t1\t2\t3\t4\t5\ta speech\n'


def test_liar_test_file_with_binary_label_map(tmp_path: Path) -> None:
    path = tmp_path / "test.tsv"
    path.write_text("".join(LIAR_ROW.format(id=i, label=lab) for i, lab in enumerate(["false", "true", "pants-fire"])))
    split = read_test_file(path, detect_format(path, None), {"pants-fire": 1, "false": 1, "true": 0})
    assert split.labels.tolist() == [1, 0, 1] and len(split) == 3
    assert split.texts[0] == 'Says the "economy" is false.'  # quoting off: the stray quotes stay


def test_mediaeval_test_file_keeps_parser_classes(tmp_path: Path) -> None:
    path = tmp_path / "dev.csv"
    path.write_text("ID,Text,Label\n1,5G spreads the virus,1\n2,the moon landing was staged,2\n3,nice weather,3\n")
    split = read_test_file(path, detect_format(path, None), None)
    assert split.labels.tolist() == [0, 1, 2] and split.type_ids.tolist() == [0, 0, 0]


def test_unknown_suffix_asks_for_format(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="--test-format"):
        detect_format(tmp_path / "x.json", None)


def test_liar_test_file_normalised_as_stored_with_the_meta_tasks_prefix(tmp_path: Path) -> None:
    path = tmp_path / "valid.tsv"
    path.write_text(LIAR_ROW.format(id=7, label="half-true").replace("the ", "the [whole] "))
    split = read_test_file(path, "liar", None, text_meta=["speaker", "party", "context"])
    assert split.texts == ['speaker: jane doe; party: republican; context: a speech. Says the "economy" is half-true.']


def test_rows_say_how_they_were_trained() -> None:
    assert schedule_label(False) == "head-only (CPU)"
    assert schedule_label(True) in ("full schedule + SWA (CPU)", "full schedule + SWA (GPU)")


def test_result_line_has_baseline_and_delta_keys_per_task() -> None:
    from bench.accuracy import HEADLINE, result_line, table_row

    rows = [
        {
            "task": "liar_6way",
            "n": 10,
            "accuracy": 0.3,
            "mcc": 0.1,
            "macro_f1": 0.2,
            "seconds": 5,
            "baseline_accuracy": 0.25,
            "baseline_mcc": 0.05,
            "baseline_macro_f1": 0.2,
            "delta": 0.05,
        },
        {
            "task": "falsehood_binary",
            "n": 10,
            "auc": 0.9,
            "mcc": 0.6,
            "accuracy": 0.8,
            "mcc_at_0.5": 0.1,
            "tweet_auc": 0.8,
            "tweet_mcc": 0.5,
            "tweet_threshold": 0.3,
            "non_tweet_auc": 0.92,
            "baseline_auc": 0.85,
            "delta": 0.05,
            "seconds": 9,
        },
    ]
    line = result_line(rows, split="valid", mode="head")
    assert line.startswith("RESULT split=valid mode=head tasks=2 ")
    keys = dict(kv.split("=") for kv in line.split()[1:])
    assert keys["liar_6way_baseline_accuracy"] == "0.250" and keys["liar_6way_delta"] == "0.050"
    assert keys["falsehood_binary_baseline_auc"] == "0.850" and keys["falsehood_binary_delta"] == "0.050"
    assert keys["falsehood_binary_tweet_auc"] == "0.800" and keys["falsehood_binary_mcc_at_0.5"] == "0.100"
    assert "liar_6way_auc" not in keys  # absent metrics are left out, not printed as '–'
    assert HEADLINE["mediaeval_3class"] == "mcc" and HEADLINE["liar_6way"] == "accuracy"
    assert "| accuracy 0.250 | +0.050 |" in table_row(rows[0])
    assert table_row({**rows[0], "task": "liar_6way_credit", "leaky": True}).startswith("| liar_6way_credit (leaky) |")


def test_baseline_trains_on_the_training_split_and_scores_every_split() -> None:
    from bench.baseline import baseline_probabilities, baseline_thresholds
    from tests.train.conftest import make_split

    train, val = make_split("train", 40, seed=0), make_split("val", 12, seed=1)
    probs, seconds = baseline_probabilities(train, {"val": val}, use_meta=False, weights=train.weights)
    assert probs["val"].shape == (12, 2) and seconds >= 0
    p = probs["val"][:, 1]
    assert p[val.labels == 1].min() > p[val.labels == 0].max()  # "fake news" is a bigram it sees
    cuts = baseline_thresholds(val, probs["val"], "mcc")
    assert set(cuts) == {"all", "tweet", "non_tweet"}


def test_the_leaky_credit_history_row_is_a_variant_of_the_meta_task() -> None:
    from bench.accuracy import LEAKY, TASK_VARIANTS

    task, overrides = TASK_VARIANTS["liar_6way_credit"]
    assert task == "liar_6way_meta" and "dataset.use_credit_history=true" in overrides
    assert "liar_6way_credit" in LEAKY


def _write_snapshot(folder: Path, task: str) -> Path:
    """A snapshot folder in the dataset stage's format: 'fake news' makes the label, a third are tweets."""
    import json

    import numpy as np

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    words = ["tax", "jobs", "wall", "border", "media", "china", "great", "people"]
    files = {}
    for split, n in (("train", 40), ("val", 16), ("test", 16)):
        labels = np.arange(n) % 2
        texts = [" ".join([*rng.choice(words, 5), *(["fake", "news"] if y else [])]) for y in labels]
        raw = [t.encode() for t in texts]
        np.savez(
            folder / f"{split}.npz",
            statement_ids=np.arange(n, dtype=np.int64),
            labels=labels.astype(np.int64),
            type_ids=(np.arange(n) % 3 == 0).astype(np.int64),
            weights=np.ones(n, np.float32),
            dates=np.full(n, np.datetime64("NaT"), dtype="datetime64[s]"),
            text_bytes=np.frombuffer(b"".join(raw), np.uint8),
            text_offsets=np.r_[0, np.cumsum([len(b) for b in raw])].astype(np.int64),
        )
        files[split] = {"file": f"{split}.npz", "n": n}
    manifest = {"task": task, "splits": files, "meta_names": [], "format": 1}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_a_snapshot_row_trains_without_store_or_shared_data(
    tmp_path: Path, tiny_encoder_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.accuracy import main

    snap = _write_snapshot(tmp_path / "snap", "falsehood_binary")
    common = ["--data-dir", str(tmp_path / "dc"), "--set", f"encoder.path={tiny_encoder_path}"]
    common += ["--set", "train.hybrid.tfidf.min_df=1", "--set", "train.threshold_bootstrap=0"]
    rc = main(["--tasks", "falsehood_binary", "--snapshot", f"falsehood_binary={snap}", *common])
    out = capsys.readouterr().out
    assert rc == 0, out
    result = out.strip().splitlines()[-1]
    assert result.startswith("RESULT split=valid mode=head tasks=1 falsehood_binary_auc=")
    assert "falsehood_binary_baseline_auc=" in result and "falsehood_binary_delta=" in result
    assert not (tmp_path / "dc" / "bench.sqlite").exists()  # no store: the snapshot is the dataset
    # "fake news" makes the label: both rank validation almost perfectly (the baseline's default C is weaker)
    keys = dict(kv.split("=") for kv in result.split()[1:])
    assert float(keys["falsehood_binary_auc"]) == 1.0 and float(keys["falsehood_binary_baseline_auc"]) > 0.9


def test_a_snapshot_of_another_task_or_a_bad_pair_is_refused(
    tmp_path: Path, tiny_encoder_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.accuracy import main

    snap = _write_snapshot(tmp_path / "snap", "mediaeval_3class")
    args = ["--tasks", "falsehood_binary", "--data-dir", str(tmp_path / "dc")]
    assert main([*args, "--snapshot", f"falsehood_binary={snap}"]) == 1
    assert "built for task 'mediaeval_3class', not 'falsehood_binary'" in capsys.readouterr().out
    for bad in ("falsehood_binary", f"nonsense={snap}", f"liar_6way_credit={snap}"):
        with pytest.raises(SystemExit) as exc:
            main([*args, "--snapshot", bad])
        assert exc.value.code == 2
        assert "--snapshot" in capsys.readouterr().err
