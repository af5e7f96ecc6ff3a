"""``predict "text…"``: probability and label for one or more statements, with the bucket's track record."""

from __future__ import annotations

import argparse
import json

import numpy as np

from deep_classiflie.cli.context import Context
from deep_classiflie.core.errors import DataSourceError

MAX_TEXT_CHARS = 20_000  # ~3,000 words: far beyond any statement, and the encoder truncates long before


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``predict`` command."""
    p = sub.add_parser("predict", help="probability that a statement is a falsehood, with its label")
    p.add_argument("texts", nargs="+", metavar="TEXT", help="statement(s) to classify")
    p.add_argument("--type", dest="stype", default="non_tweet", help="statement type: tweet or any spoken type")
    p.add_argument("--model", help="model version name or id (default: the newest)")
    p.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    p.set_defaults(func=predict)


def predict(ctx: Context, args: argparse.Namespace) -> int:
    """Load the model, score the texts, print one line each."""
    from deep_classiflie.core.text import normalise
    from deep_classiflie.dataset.types import check_statement_type, type_id
    from deep_classiflie.model.resolve import load_registered

    check_statement_type(args.stype)  # "Tweet" or a typo must not be scored silently as a non-tweet
    longest = max(args.texts, key=len)
    if len(longest) > MAX_TEXT_CHARS:
        raise DataSourceError(
            f"a text of {len(longest):,} characters is longer than a statement ({MAX_TEXT_CHARS:,} at most)",
            hint="pass one statement per argument; the model reads only its first few hundred words anyway",
        )
    texts = [normalise(t, ctx.config.ingest.normalise) for t in args.texts]
    empty = [raw for raw, t in zip(args.texts, texts, strict=True) if not t]
    if empty:
        raise DataSourceError(
            f"nothing left to classify in {empty[0]!r} after cleaning", hint="pass the statement's words"
        )
    row, classifier = load_registered(ctx.engine, args.model)
    types = np.full(len(texts), type_id(args.stype), dtype=np.int64)
    probs = classifier.predict_proba(texts, types, [{"statement_type": args.stype}] * len(texts))
    threshold = classifier.threshold_for(args.stype)  # chosen on validation per type (0.5 without thresholds.json)
    for raw, p in zip(args.texts, probs, strict=True):
        result = _describe(p, threshold)
        if args.json:
            print(json.dumps({"text": raw, "model": row["name"], **result}))
        else:
            print(f"{result['label']:<16} p(falsehood)={result['probability']:.3f}  {raw}")
    return 0


def _describe(p: np.ndarray, threshold: float) -> dict[str, object]:
    from deep_classiflie.model.classifier import binary_verdict

    if len(p) == 2:
        label, confidence = binary_verdict(float(p[1]), threshold)
        return {"probability": float(p[1]), "label": label, "confidence": confidence}
    cls = int(np.argmax(p))
    return {"probability": float(p[cls]), "label": f"class {cls}", "confidence": float(p[cls])}
