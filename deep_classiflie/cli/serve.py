"""``serve``: run the HTTP inference service (``/v1/predict``, ``/v1/explain``, ``/v1/models`` …) with uvicorn."""

from __future__ import annotations

import argparse
import logging

from deep_classiflie.cli.context import Context
from deep_classiflie.cli.failures import check_bindable
from deep_classiflie.core.errors import ConfigError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``serve`` command."""
    p = sub.add_parser(
        "serve",
        help="HTTP inference service: POST /v1/predict, /v1/explain; GET /v1/models, /healthz, /readyz, /metrics",
    )
    p.add_argument("--model", help="model version name or id to serve (default: the active one, else the newest)")
    p.add_argument("--host", help="address to bind (default serve.host: 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default serve.port: 8000)")
    p.add_argument(
        "--backend",
        help="inference backend: auto | torch | torch-bf16 | torch-int8 | onnx | onnx-int8 (default serve.backend)",
    )
    p.set_defaults(func=serve)


def serve(ctx: Context, args: argparse.Namespace) -> int:
    """Load the model once, then serve until interrupted."""
    import uvicorn

    from deep_classiflie.serve.app import build_state, create_app
    from deep_classiflie.serve.auth import bind_warning

    updates = {k: v for k, v in (("host", args.host), ("port", args.port), ("backend", args.backend)) if v is not None}
    try:
        config = ctx.config.model_copy(
            update={"serve": ctx.config.serve.model_validate({**ctx.config.serve.model_dump(), **updates})}
        )
    except ValueError as exc:
        raise ConfigError(f"invalid serve option: {exc}", hint="see `deep-classiflie serve --help`") from None
    if not 0 < config.serve.port < 65536:
        raise ConfigError(f"port {config.serve.port} is out of range", hint="use a port between 1 and 65535")
    api_key = ctx.settings.api_key or ctx.settings.api_token
    check_bindable(config.serve.host, config.serve.port)  # a bad host or busy port fails before the model loads
    state = build_state(config, ctx.engine, api_key=api_key, ref=args.model)
    if warning := bind_warning(config.serve.host, api_key):
        log.warning("%s", warning)
    served = state.holder.current
    assert served is not None
    log.info(
        "serving %s with the %s backend on http://%s:%d",
        served.ref["name"],
        served.backend.name,
        config.serve.host,
        config.serve.port,
    )
    uvicorn.run(
        create_app(state),
        host=config.serve.host,
        port=config.serve.port,
        log_level="info",
        access_log=config.serve.access_log,
        timeout_keep_alive=int(config.serve.keep_alive_s),
    )
    return 0
