"""The serving encoder compiled with TorchInductor before the first request (``serve.compile``).

Eager PyTorch spends much of a one-statement forward pass dispatching ~150 small ops from Python; Inductor fuses
the element-wise ops into generated C++ kernels and, with ``freezing``, folds the frozen weights into prepacked
oneDNN matmuls. On MiniLM in bf16 (2 cores) one statement went from ~7 to ~4 ms. Compiling costs ~30 s when a model
is loaded (once per process and model: both graphs, one statement and a batch, are built by the warm-up, and
``dynamic=True`` keeps new batch sizes and lengths from recompiling). Inductor needs a C++ compiler: ``auto`` compiles
where one is found and falls back to eager (with a warning) where compiling fails; ``true`` makes a failure an error.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from deep_classiflie.core.errors import ModelError

log = logging.getLogger(__name__)


def cxx_available() -> bool:
    """Whether the C++ compiler Inductor would call is on this machine."""
    try:
        from torch._inductor import config as inductor_config

        names = [inductor_config.cpp.cxx[1] or "g++"] if isinstance(inductor_config.cpp.cxx, tuple) else []
    except (ImportError, AttributeError):  # pragma: no cover - a torch build without Inductor
        return False
    return any(shutil.which(n) for n in [*names, "g++", "c++"])


def should_compile(setting: str | bool) -> bool:
    """``True`` / ``False`` as given; ``"auto"`` → where a C++ compiler is available."""
    if isinstance(setting, bool):
        return setting
    return setting == "auto" and cxx_available()


def compile_encoder(
    encoder: nn.Module, warm_up: Callable[[Any], None], *, required: bool
) -> tuple[nn.Module, str | None]:
    """``(compiled encoder, None)``, or ``(encoder, why not)`` when compiling fails and is not ``required``.

    ``warm_up(module)`` runs the shapes to build before traffic (one statement and a batch); it raises if the
    generated code does not build or run.
    """
    started = time.perf_counter()
    try:
        compiled: Any = torch.compile(encoder, dynamic=True, options={"freezing": True})
        warm_up(compiled)
    except Exception as exc:  # Inductor surfaces compiler and codegen failures as many exception types
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        if required:
            raise ModelError(
                f"cannot compile the encoder with TorchInductor ({reason})",
                hint="install a C++ compiler (g++), or set serve.compile to auto or false",
            ) from exc
        log.warning("serving the eager encoder: compiling it failed (%s)", reason)
        return encoder, reason
    log.info("compiled the serving encoder in %.0f s", time.perf_counter() - started)
    return compiled, None
