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
