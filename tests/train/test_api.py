"""train_model end to end on the tiny encoder: folder, registration, predictions from raw text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deep_classiflie.cli.main import main
from deep_classiflie.config import Config
from deep_classiflie.model.classifier import load_classifier
from deep_classiflie.train.api import train_model
from deep_classiflie_db.queries.models import get_model_version, latest_model_version


def _config(tmp_path: Path, encoder: Path, **train: object) -> Config:
    return Config.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "dc"), "runs_dir": str(tmp_path / "runs")},
            "encoder": {"path": str(encoder), "max_length": 32, "batch_size": 8},
            "train": {"epochs": 3, "batch_size": 8, **train},
        }
    )


@pytest.mark.parametrize("full", [False, True], ids=["head_on_cached_features", "finetuned"])
def test_train_model_registers_a_folder_that_predicts_raw_text(
    full: bool, sqlite_engine, tiny_encoder_path, tiny_splits, tmp_path
) -> None:
    cfg = _config(tmp_path, tiny_encoder_path, finetune={"max_epochs": 2, "batch_size": 8, "top_k": 2, "swa_n": 2})
    info = train_model(sqlite_engine, cfg, tiny_splits, collection_id=None, out_dir=tmp_path / "models", full=full)
    row = get_model_version(sqlite_engine, model_version_id=info.model_version_id)
    assert row is not None and row["kind"] == info.kind and row["weights_sha256"] == info.weights_sha256
    assert row["config"]["encoder"]["max_length"] == 32
    assert latest_model_version(sqlite_engine, task="falsehood_binary")["id"] == info.model_version_id
    clf = load_classifier(info.folder)
    val = tiny_splits["val"]
    probs = clf.predict_proba(val.texts, val.type_ids)
    assert probs.shape == (len(val), 2)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    assert (info.folder / "dataset.json").read_text().count("hash") == 1


def test_schedule_write_cli_generates_a_fitting_schedule(tiny_encoder_path, tmp_path, capsys) -> None:
    out = tmp_path / "s.yaml"
    assert main(["schedule", "write", "--encoder", str(tiny_encoder_path), "--out", str(out)]) == 0
    assert "wrote 4 phases" in capsys.readouterr().out
    from deep_classiflie.train.schedule import load_schedule

    assert len(load_schedule(out)) == 4


def test_schedule_write_cli_missing_encoder_is_a_clean_error(tmp_path, capsys) -> None:
    assert main(["schedule", "write", "--encoder", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err.startswith("Error: encoder folder")
