"""Config of the serve stage: binding, micro-batching, request limits, backend, docs, auth, recording."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from deep_classiflie.config.base import Strict

# Inference backends of the service (see deep_classiflie.serve.backends). "auto" (default) serves each model with
# the fastest backend that passes the agreement test on that model's own validation statements (AgreementConfig):
# torch-bf16 where the CPU has native bf16 kernels and it agrees, else fp32 "onnx". The int8 backends are faster
# than fp32 but flipped 2% (onnx-int8) and 6.5% (torch-int8) of the labels of a LIAR-trained MiniLM head whose
# probabilities crowd its threshold (bench/serve.py), so they are opt-in.
Backend = Literal["auto", "torch", "torch-bf16", "torch-int8", "onnx", "onnx-int8"]


class BatchingConfig(Strict):
    """Dynamic micro-batching: concurrent statements are gathered into one forward pass."""

    max_batch_size: int = Field(default=32, ge=1, le=1024)
    # Upper bound; the batcher waits at most half its last forward pass, and never for a lone request.
    max_wait_ms: float = Field(default=10.0, ge=0, le=1000)
    # Statements waiting (all requests together); a request that would overflow it gets 503 + Retry-After.
    max_queue: int = Field(default=1024, ge=1)
    # A request still unanswered after this long gets 504 (its statements are dropped if not yet started).
    request_timeout_s: float = Field(default=10.0, gt=0)
    retry_after_s: int = Field(default=1, ge=1)


class AgreementConfig(Strict):
    """The agreement test ``backend: auto`` runs when it loads a model: the fast backend vs fp32 PyTorch."""

    # Validation statements of the model's dataset collection scored both ways (evenly spread over the split).
    statements: int = Field(default=512, ge=16)
    max_dp: float = Field(default=0.05, gt=0, le=1)  # largest |Δ P(falsehood)| allowed
    min_same_labels: float = Field(default=0.99, gt=0, le=1)  # share of statements whose label must not change


class LimitsConfig(Strict):
    """Limits every route applies; each is named in the error a client gets when it is exceeded."""

    max_statements: int = Field(default=64, ge=1)
    max_explain_statements: int = Field(default=4, ge=1)
    max_chars: int = Field(default=5000, ge=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)


class RecordingConfig(Strict):
    """Optional recording of API predictions, in batched writes off the request path."""

    enabled: bool = False
    flush_interval_s: float = Field(default=1.0, gt=0)
    max_pending: int = Field(default=10_000, ge=1)  # oldest dropped beyond this while the store is away


class ServeConfig(Strict):
    """The HTTP inference service (``deep-classiflie serve``)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    backend: Backend = "auto"
    # torch-bf16's encoder compiled ahead of time with AOTInductor when a model loads (~35 s; one tweet ~12 → ~7.6 ms
    # on MiniLM, 2 cores): auto = where a C++ compiler is found, falling back to eager if compiling fails;
    # true = a failure is an error; false = eager.
    compile: Literal["auto"] | bool = "auto"
    # Intra-op threads for inference; 0 = one per CPU core the process may use.
    threads: int = Field(default=0, ge=0)
    # "offline" serves /docs and /redoc with assets shipped in the fastapi-offline package; "off" disables them.
    docs: Literal["offline", "off"] = "offline"
    # Admin routes always need DC_API_KEY; with this, read routes (predict, explain, models) need it too.
    auth_reads: bool = False
    # Idle keep-alive connections are closed after this long (uvicorn's 5 s default races busy clients: a request
    # sent just as the server closes the connection fails with a read error).
    keep_alive_s: float = Field(default=30.0, gt=0)
    # One log line per request from uvicorn (off: on two cores it costs a tenth of the request's time; the
    # Prometheus metrics count every request by route and status).
    access_log: bool = False
    # Seconds a store reachability result is reused by /readyz (so probes do not hammer the DB).
    ready_cache_s: float = Field(default=1.0, ge=0)
    agreement: AgreementConfig = AgreementConfig()
    batching: BatchingConfig = BatchingConfig()
    limits: LimitsConfig = LimitsConfig()
    recording: RecordingConfig = RecordingConfig()
