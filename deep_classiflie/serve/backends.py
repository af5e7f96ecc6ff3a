"""Inference backends: P(falsehood) for a batch of texts, from PyTorch (fp32, bf16 or int8) or ONNX Runtime (fp32 or
int8).

Every backend takes one already length-sorted micro-batch, tokenises it with the model's fast tokenizer padded
only to the longest text in the batch, and runs one forward pass. A hybrid head's linear part on its sparse
TF-IDF/metadata block is computed outside the encoder graph as a sparse product (``extra_offset``) and handed to
the head as its ``offset``, so no dense ``[batch, 50k]`` block is ever built. ONNX graphs are exported from the model folder
once and cached under ``<data_dir>/serve/onnx/<weights sha256>/`` (written to a temp file, then renamed).
The agreement of each backend with fp32 PyTorch is tested (``tests/serve/test_backends.py``) and measured on
MiniLM by ``bench/serve.py``.
"""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from deep_classiflie.core.errors import ModelError
from deep_classiflie.model.classifier import Classifier
from deep_classiflie.model.encoder import pooled_output
from deep_classiflie.model.precision import encoder_copy
from deep_classiflie.serve.compiled import PooledFn, compile_pooled, should_compile

log = logging.getLogger(__name__)

BACKENDS = ("torch", "torch-bf16", "torch-int8", "onnx", "onnx-int8")
INT8_FILE = "model.int8-per-channel.onnx"
# What a compiled encoder runs before traffic: one statement, then a batch.
WARM_UP = (["warm up the encoder"], ["warm up the encoder", "with a batch of two statements"])


class Backend(Protocol):
    """What the micro-batcher calls: one forward pass over a batch."""

    name: str

    def predict(self, texts: list[str], type_ids: np.ndarray, meta: list[dict[str, Any]]) -> np.ndarray:
        """``[n]`` float32 P(falsehood) of each text (``meta``: one dict per text, for hybrid heads)."""
        ...


def cpu_threads(requested: int = 0) -> int:
    """Threads for intra-op parallelism: ``requested``, else the CPU cores this process may run on."""
    if requested > 0:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def is_hybrid(classifier: Classifier) -> bool:
    """Whether the head reads a non-text block besides the pooled vector."""
    return (
        int(getattr(classifier.head_config, "extra_dim", 0)) > 0 and getattr(classifier, "featurizer", None) is not None
    )


def extra_offset(classifier: Classifier, texts: list[str], meta: list[dict[str, Any]]) -> np.ndarray:
    """``[n, out_dim]`` float32 logits of a hybrid head's linear model on its sparse block (before the gain)."""
    block = classifier.featurizer.transform(texts, meta)  # type: ignore[union-attr]
    linear: Any = classifier.model.head.extra_linear
    weight = linear.weight.detach().double().numpy()
    bias = linear.bias.detach().double().numpy()
    return np.asarray(block @ weight.T + bias, dtype=np.float32)


class TorchBackend:
    """The model's own PyTorch forward pass: fp32, a bf16 copy of the encoder, or int8 dynamic quantisation.

    ``bf16`` (where the CPU multiplies bf16 in hardware: AMX / AVX512-BF16) runs the encoder in bf16 (about 3×
    fp32's batch throughput on MiniLM) and the head in fp32; its batches are padded to a multiple of 8 tokens, so
    the few distinct shapes reuse oneDNN's cached kernels. ``compile`` (``False`` | ``"auto"`` | ``True``, bf16 only):
    the encoder and its pooling compiled with AOTInductor before the first request (``serve/compiled.py``).
    """

    def __init__(self, classifier: Classifier, *, mode: str = "fp32", compile: str | bool = False) -> None:
        self.classifier = classifier
        self.name = "torch" if mode == "fp32" else f"torch-{mode}"
        self.model: torch.nn.Module = _quantised(classifier.model) if mode == "int8" else classifier.model
        self.encoder: Any = self.model.encoder
        self.pad_multiple: int | None = None
        self.pooled: PooledFn | None = None  # the compiled encoder + pooling, when compiled
        if mode == "bf16":
            self.encoder = encoder_copy(classifier.model.encoder, torch.bfloat16, attention=None)
            self.pad_multiple = 8
            if should_compile(compile):
                example = self._tokenize(WARM_UP[-1])  # a batch: sizes of 1 would be fixed by the export
                self.pooled, _ = compile_pooled(
                    self.encoder,
                    classifier.head_config.pooling,
                    (example["input_ids"], example["attention_mask"]),
                    self._warm_up,
                    required=compile is True,
                )
                if self.pooled is not None:
                    self.encoder = None  # the compiled library holds its own frozen copy of the weights

    @property
    def compiled(self) -> bool:
        """Whether the encoder runs compiled (``serve.compile``)."""
        return self.pooled is not None

    def _warm_up(self, pooled: PooledFn) -> None:
        """Run one statement and a batch through the compiled ``pooled`` (oneDNN builds its kernels on first use)."""
        with torch.inference_mode():
            for texts in WARM_UP:
                batch = self._tokenize(texts)
                pooled(batch["input_ids"], batch["attention_mask"])

    def _tokenize(self, texts: list[str]) -> Any:
        return self.classifier.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.classifier.head_config.max_length,
            pad_to_multiple_of=self.pad_multiple,
            return_tensors="pt",
        )

    @torch.inference_mode()
    def predict(self, texts: list[str], type_ids: np.ndarray, meta: list[dict[str, Any]]) -> np.ndarray:
        """One forward pass (the batch is already sorted by length)."""
        batch = self._tokenize(texts)
        types = torch.as_tensor(np.asarray(type_ids, dtype=np.int64))
        offset = None
        if is_hybrid(self.classifier):
            offset = torch.from_numpy(extra_offset(self.classifier, texts, meta))
        ids, mask = batch["input_ids"], batch["attention_mask"]
        if self.pooled is not None:
            pooled = self.pooled(ids, mask).float()
        else:
            outputs = self.encoder(input_ids=ids, attention_mask=mask)
            pooled = pooled_output(outputs, mask, self.classifier.head_config.pooling).float()
        model: Any = self.model
        logits = model.head(pooled, types, offset=offset)
        return _sigmoid(logits.float().reshape(len(texts), -1)[:, -1].numpy())


def _quantised(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` with int8 dynamically quantised Linear layers (weights int8, activations per batch)."""
    from torch.ao.quantization import quantize_dynamic

    return quantize_dynamic(copy.deepcopy(model).eval(), {torch.nn.Linear}, dtype=torch.qint8)


class _OnnxGraph(torch.nn.Module):
    """The exported signature: (input_ids, attention_mask, type_ids[, offset]) → logits."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model: Any = model

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        type_ids: torch.Tensor,
        offset: torch.Tensor | None = None,
    ) -> torch.Tensor:
        pooled = self.model.pooled(input_ids, attention_mask)
        return self.model.head(pooled, type_ids, offset=offset)


def export_onnx(classifier: Classifier, out_dir: Path, *, int8: bool) -> Path:
    """Export the classifier to ``out_dir/model.onnx`` (and its int8 copy); reuse files already there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / "model.onnx"
    if not fp32.is_file():
        sample = classifier.tokenize(["a statement to trace", "another"])
        graph = _OnnxGraph(copy.deepcopy(classifier.model)).eval()  # eval: export must not see dropout
        tmp = out_dir / f".model.onnx.{os.getpid()}.tmp"
        axes = {0: "batch", 1: "seq"}
        args: tuple[torch.Tensor, ...] = (
            sample["input_ids"],
            sample["attention_mask"],
            torch.zeros(2, dtype=torch.long),
        )
        names = ["input_ids", "attention_mask", "type_ids"]
        dynamic: dict[str, dict[int, str]] = {"input_ids": axes, "attention_mask": axes, "type_ids": {0: "batch"}}
        if is_hybrid(classifier):
            args = (*args, torch.zeros(2, classifier.head_config.out_dim))
            names.append("offset")
            dynamic["offset"] = {0: "batch"}
        torch.onnx.export(
            graph,
            args,
            str(tmp),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={**dynamic, "logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        tmp.replace(fp32)
    if not int8:
        return fp32
    quant = out_dir / INT8_FILE
    if not quant.is_file():
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = out_dir / f".{INT8_FILE}.{os.getpid()}.tmp"
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # quantize_dynamic logs pre-processing advice on the root logger, every time
        try:
            # Per-channel weight scales: on MiniLM max |Δp| 0.07 → 0.03 and label agreement 92.5% → 97% vs
            # per-tensor (bench/serve.py); the head's two small Gemms stay fp32 (no speed to gain there).
            head = [n.name for n in onnx.load(str(fp32)).graph.node if n.name.startswith("/head/")]
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=head)
        finally:
            root.setLevel(level)
        tmp.replace(quant)
    return quant


class OnnxBackend:
    """ONNX Runtime on the CPU (fp32 graph, or its int8 dynamically quantised copy)."""

    def __init__(self, classifier: Classifier, graph: Path, *, threads: int, int8: bool) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # No busy-waiting between runs: the event loop thread needs those cores to parse the next requests.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self.classifier = classifier
        self.name = "onnx-int8" if int8 else "onnx"

    def predict(self, texts: list[str], type_ids: np.ndarray, meta: list[dict[str, Any]]) -> np.ndarray:
        """One forward pass (the batch is already sorted by length)."""
        enc: Any = self.classifier.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.classifier.head_config.max_length,
            return_tensors="np",
        )
        feeds = {
            "input_ids": enc["input_ids"].astype(np.int64),
            "attention_mask": enc["attention_mask"].astype(np.int64),
            "type_ids": np.asarray(type_ids, dtype=np.int64),
        }
        if is_hybrid(self.classifier):
            feeds["offset"] = extra_offset(self.classifier, texts, meta)
        (logits,) = self.session.run(["logits"], feeds)
        return _sigmoid(np.asarray(logits).reshape(len(texts), -1)[:, -1])


def make_backend(
    classifier: Classifier,
    name: str,
    *,
    cache_dir: Path,
    weights_sha256: str,
    threads: int,
    compile: str | bool = False,
) -> Backend:
    """The backend ``name`` (one of :data:`BACKENDS`) for a loaded classifier; sets torch's thread count.

    ``compile`` (``serve.compile``) applies to ``torch-bf16``: its encoder compiled with AOTInductor."""
    if name not in BACKENDS:
        raise ModelError(f"unknown inference backend {name!r}", hint="use one of: " + ", ".join(BACKENDS))
    if classifier.num_classes != 2:
        raise ModelError(
            f"the service scores binary falsehood models; this one has {classifier.num_classes} classes",
            hint="activate a binary model version",
        )
    torch.set_num_threads(threads)
    if name.startswith("torch"):
        mode = name.removeprefix("torch").removeprefix("-") or "fp32"
        return TorchBackend(classifier, mode=mode, compile=compile if mode == "bf16" else False)
    int8 = name == "onnx-int8"
    try:
        graph = export_onnx(classifier, cache_dir / weights_sha256[:16], int8=int8)
    except (OSError, RuntimeError, ValueError) as exc:
        raise ModelError(
            f"cannot export the model to ONNX under {cache_dir}: {exc}",
            hint="check that the folder is writable, or set serve.backend=torch",
        ) from exc
    return OnnxBackend(classifier, graph, threads=threads, int8=int8)
