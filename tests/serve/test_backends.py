"""Every inference backend agrees with fp32 PyTorch's ``predict_proba`` on the tiny model's validation split.

The bounds are what these backends reach on the tiny random encoder; bench/serve.py states the same comparison
(max |Δp|, same labels) on MiniLM.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deep_classiflie.model.classifier import load_classifier
from deep_classiflie.serve.backends import BACKENDS, INT8_FILE, make_backend
from tests.serve.conftest import Trained
from tests.train.conftest import make_split

# max |Δp| allowed vs fp32 PyTorch, per backend
BOUNDS = {"torch": 1e-5, "torch-bf16": 0.02, "onnx": 1e-4, "torch-int8": 0.05, "onnx-int8": 0.05}


@pytest.mark.parametrize("name", BACKENDS)
def test_backend_agrees_with_pytorch(name: str, trained: Trained, tmp_path: Path) -> None:
    classifier = load_classifier(trained.folder)
    split = make_split("val", 200, seed=7)
    meta = [{"statement_type": "tweet" if t == 0 else "speech"} for t in split.type_ids]
    reference = classifier.predict_proba(split.texts, split.type_ids, meta)[:, 1]
    backend = make_backend(classifier, name, cache_dir=tmp_path, weights_sha256=trained.weights_sha256, threads=1)
    order = np.argsort([len(t) for t in split.texts], kind="stable")
    got = np.zeros(len(split))
    for start in range(0, len(order), 32):  # as the batcher hands them over: length-sorted batches of 32
        idx = order[start : start + 32]
        got[idx] = backend.predict([split.texts[i] for i in idx], split.type_ids[idx], [meta[i] for i in idx])
    delta = np.abs(got - reference)
    assert delta.max() <= BOUNDS[name], f"{name}: max |Δp| {delta.max():.2e}"
    thresholds = np.array([classifier.threshold_for(m["statement_type"]) for m in meta])
    same = np.mean((got >= thresholds) == (reference >= thresholds))
    assert same >= 0.99, f"{name}: labels agree on {same:.1%}"


def test_onnx_export_is_cached_by_weights(trained: Trained, tmp_path: Path) -> None:
    classifier = load_classifier(trained.folder)
    make_backend(classifier, "onnx-int8", cache_dir=tmp_path, weights_sha256=trained.weights_sha256, threads=1)
    folder = tmp_path / trained.weights_sha256[:16]
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert set(stamps) == {"model.onnx", INT8_FILE}
    make_backend(classifier, "onnx-int8", cache_dir=tmp_path, weights_sha256=trained.weights_sha256, threads=1)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps  # reused, not re-exported


def test_unknown_backend_is_a_clear_error(trained: Trained, tmp_path: Path) -> None:
    from deep_classiflie.core.errors import ModelError

    with pytest.raises(ModelError, match="use one of: torch, torch-bf16, torch-int8, onnx, onnx-int8"):
        make_backend(
            load_classifier(trained.folder), "tensorrt", cache_dir=tmp_path, weights_sha256="0" * 64, threads=1
        )
