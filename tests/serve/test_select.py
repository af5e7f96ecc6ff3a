"""``serve.backend: auto``: the bf16 backend serves only where the CPU has bf16 kernels and it agrees with fp32 on
the model's own validation statements; otherwise fp32 ONNX. Compiling the bf16 encoder: agrees, falls back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sqlalchemy.engine import Engine

from deep_classiflie.config.serve import ServeConfig
from deep_classiflie.core.errors import ModelError
from deep_classiflie.model.classifier import Classifier
from deep_classiflie.model.resolve import load_registered
from deep_classiflie.serve import select
from deep_classiflie.serve.backends import TorchBackend
from deep_classiflie.serve.select import choose_backend, compare, validation_sample
from tests.explain.conftest import make_encoder, train_in_store


@pytest.fixture(scope="module")
def encoder_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_encoder(tmp_path_factory.mktemp("tiny_select"))


@pytest.fixture
def in_store(sqlite_engine: Engine, encoder_path: Path, tmp_path: Path) -> tuple[Engine, dict[str, Any], Classifier]:
    trained = train_in_store(sqlite_engine, encoder_path, tmp_path)
    row, clf = load_registered(sqlite_engine, trained.model_id)
    return sqlite_engine, row, clf


def test_compare_counts_flipped_labels_and_the_largest_change() -> None:
    ref = np.array([0.1, 0.49, 0.51, 0.9])
    cut = np.full(4, 0.5)
    same = compare("b", ref, ref + 0.005, cut, max_dp=0.05, min_same_labels=0.99)
    assert same.passed and same.same_labels == 1.0 and same.max_dp == pytest.approx(0.005)
    flipped = compare("b", ref, ref + np.array([0, 0.02, 0, 0]), cut, max_dp=0.05, min_same_labels=0.99)
    assert not flipped.passed and flipped.same_labels == 0.75
    far = compare("b", ref, ref + np.array([0, 0, 0, 0.08]), cut, max_dp=0.05, min_same_labels=0.5)
    assert not far.passed and far.max_dp == pytest.approx(0.08)


def test_validation_sample_is_the_models_val_split(in_store: tuple[Engine, dict[str, Any], Classifier]) -> None:
    engine, row, _ = in_store
    rows = validation_sample(engine, row, 1000)
    assert rows and all("text" in r and "statement_type" in r for r in rows)
    assert len(validation_sample(engine, row, 3)) == 3
    assert validation_sample(engine, {**row, "dataset_collection_id": None}, 10) == []


def _choose(in_store: tuple[Engine, dict[str, Any], Classifier], tmp_path: Path, **serve: Any) -> tuple[Any, Any]:
    engine, row, clf = in_store
    config = ServeConfig.model_validate({"compile": False, **serve})
    return choose_backend(engine, row, clf, config, cache_dir=tmp_path, threads=1)


def test_auto_serves_bf16_where_it_agrees(
    in_store: tuple[Engine, dict[str, Any], Classifier], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(select, "native_bf16", lambda: True)
    backend, why = _choose(in_store, tmp_path, backend="auto")
    assert backend.name == "torch-bf16", why
    assert why["agreement"]["passed"] and why["agreement"]["statements"] > 0


def test_auto_falls_back_to_fp32_when_bf16_disagrees(
    in_store: tuple[Engine, dict[str, Any], Classifier], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(select, "native_bf16", lambda: True)
    backend, why = _choose(in_store, tmp_path, backend="auto", agreement={"max_dp": 1e-12})
    assert backend.name == "onnx" and not why["agreement"]["passed"] and "does not agree" in why["reason"]


def test_auto_without_bf16_kernels_or_validation_statements_serves_fp32(
    in_store: tuple[Engine, dict[str, Any], Classifier], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(select, "native_bf16", lambda: False)
    backend, why = _choose(in_store, tmp_path, backend="auto")
    assert backend.name == "onnx" and "no native bf16" in why["reason"]
    monkeypatch.setattr(select, "native_bf16", lambda: True)
    engine, row, clf = in_store
    backend, why = _choose((engine, {**row, "dataset_collection_id": None}, clf), tmp_path, backend="auto")
    assert backend.name == "onnx" and "no validation statements" in why["reason"]


def test_a_named_backend_is_served_as_named(
    in_store: tuple[Engine, dict[str, Any], Classifier], tmp_path: Path
) -> None:
    backend, why = _choose(in_store, tmp_path, backend="torch")
    assert backend.name == "torch" and why["requested"] == "torch" and why["compiled"] is False


def _texts() -> list[str]:
    return ["fake news about the wall", "the tax jobs, china!", "big", "a longer statement about the economy today"]


def test_compiled_bf16_encoder_agrees_with_eager(in_store: tuple[Engine, dict[str, Any], Classifier]) -> None:
    _, _, clf = in_store
    texts = _texts()
    types = np.array([0, 1, 1, 0])
    meta: list[dict[str, Any]] = [{}] * len(texts)
    eager = TorchBackend(clf, mode="bf16").predict(texts, types, meta)
    compiled = TorchBackend(clf, mode="bf16", compile=True)
    assert compiled.compiled
    np.testing.assert_allclose(compiled.predict(texts, types, meta), eager, atol=0.02)
    # one statement (its own graph) and a batch size the warm-up never saw
    np.testing.assert_allclose(compiled.predict(texts[:1], types[:1], meta[:1]), eager[:1], atol=0.02)
    np.testing.assert_allclose(compiled.predict(texts[:3], types[:3], meta[:3]), eager[:3], atol=0.02)


def test_compile_failure_falls_back_unless_required(
    in_store: tuple[Engine, dict[str, Any], Classifier], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, clf = in_store

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("no C++ compiler here")

    monkeypatch.setattr(torch._inductor, "aoti_compile_and_package", broken)
    monkeypatch.setattr("deep_classiflie.serve.compiled.cxx_available", lambda: True)
    fallback = TorchBackend(clf, mode="bf16", compile="auto")
    assert not fallback.compiled
    assert fallback.predict(["fake news"], np.array([0]), [{}]).shape == (1,)
    with pytest.raises(ModelError, match=r"cannot compile the encoder with AOTInductor.*no C\+\+ compiler here"):
        TorchBackend(clf, mode="bf16", compile=True)
