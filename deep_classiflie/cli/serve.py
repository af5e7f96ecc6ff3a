"""``serve``: run the HTTP inference service with uvicorn."""

from __future__ import annotations

import argparse

from deep_classiflie.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``serve`` command."""
    p = sub.add_parser("serve", help="HTTP inference service: POST /predict, GET /model, GET /health")
    p.add_argument("--model", help="model version name or id (default: the newest)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.set_defaults(func=serve)


def serve(ctx: Context, args: argparse.Namespace) -> int:
    """Load the model once, then serve until interrupted."""
    import uvicorn

    from deep_classiflie.serve.app import create_app, load_served

    served = load_served(ctx.engine, args.model, threshold=ctx.config.evaluate.threshold)
    uvicorn.run(create_app(served), host=args.host, port=args.port, log_level="info")
    return 0
