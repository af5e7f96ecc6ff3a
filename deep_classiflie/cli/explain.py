"""``explain``: interpretation cards (PNG, HTML, JSON) for statements, with integrated-gradients word attributions.

- ``explain "text…" [--type tweet]`` explains free text (cleaned as ``predict`` cleans it);
- ``explain --from-db ID…`` explains statements in the store, with their actual (fact-check) labels;
- ``explain --from-db --split test --limit N`` explains a split of the model's dataset; ``explain --file F``
  explains the statements of a file (JSON lines with ``text`` [``type``, ``statement_id``, ``date``], or one
  statement per line). Batches go through batched forward passes behind a progress bar.

Files are written atomically to ``--out`` (default ``explain.out_dir``, else ``<data_dir>/cards``), named by
statement id (or text hash) and model version; each card is recorded in the store (``explanations``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from deep_classiflie.cli.context import Context
from deep_classiflie.core.errors import ConfigError, DatasetError, DataSourceError

CHUNK = 64  # statements per build → render → record round: a crash keeps what was done before it


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``explain`` command."""
    p = sub.add_parser("explain", help="interpretation cards: word attributions, bucket record, similar statements")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="statement(s) to explain")
    p.add_argument("--type", dest="stype", default="non_tweet", help="statement type of TEXT (default non_tweet)")
    p.add_argument("--model", help="model version name or id (default: the active/newest one)")
    p.add_argument("--out", type=Path, help="folder for the cards (default: explain.out_dir or <data_dir>/cards)")
    p.add_argument("--format", dest="formats", help="comma-separated: png,html,json (default: explain.formats)")
    p.add_argument("--from-db", dest="from_db", nargs="*", type=int, metavar="ID", help="statement ids in the store")
    p.add_argument("--split", choices=["train", "val", "test"], help="with --from-db: a split of the model's dataset")
    p.add_argument("--limit", type=int, help="at most N statements (batch modes)")
    p.add_argument("--file", type=Path, help="statements to explain: JSON lines or one statement per line")
    p.add_argument("--n-steps", dest="n_steps", type=int, help="integrated-gradients steps (default: explain.n_steps)")
    p.add_argument("--json", action="store_true", help="print each card's JSON on one line instead of a summary")
    p.add_argument("--no-store", dest="store", action="store_false", help="do not record the cards in the store")
    p.set_defaults(func=explain)


def explain(ctx: Context, args: argparse.Namespace) -> int:
    """Steps: 1) model 2) statements 3) per chunk: cards → files → store rows 4) one line per card."""
    from deep_classiflie.core.progress import progress
    from deep_classiflie.core.text import text_hash
    from deep_classiflie.explain.api import build_cards, check_inputs
    from deep_classiflie.explain.render import check_formats, render_card
    from deep_classiflie.model.resolve import load_registered
    from deep_classiflie_db.queries.explain import record_explanation

    cfg = ctx.config.explain
    if args.n_steps is not None:
        cfg = _with_steps(cfg, args.n_steps)
    formats = check_formats(args.formats.split(",") if args.formats else cfg.formats)
    out_dir = args.out or (Path(cfg.out_dir) if cfg.out_dir else ctx.config.paths.data_dir / "cards")
    engine = ctx.engine
    # 1) the model first: an unknown model fails before any statement is read
    model_row, classifier = load_registered(engine, args.model)
    # 2) the statements, checked before any work
    items = _items(ctx, args, model_row)
    check_inputs(items)
    # 3) cards in chunks, each rendered and recorded before the next
    written: list[tuple[dict[str, Any], dict[str, Path]]] = []
    with progress(total=len(items), description="explaining") as bar:
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            cards = build_cards(engine, model_row, classifier, chunk, cfg, on_progress=bar.advance)
            files = [render_card(card, out_dir, formats, png_width_px=cfg.png_width_px) for card in cards]
            if args.store:
                with engine.begin() as conn:
                    for item, card, paths in zip(chunk, cards, files, strict=True):
                        record_explanation(
                            conn,
                            model_version_id=int(model_row["id"]),
                            statement_id=item.statement_id,
                            text_hash=text_hash(item.text),
                            card=card,
                            files={k: str(v) for k, v in paths.items()},
                        )
            written.extend(zip(cards, files, strict=True))
    # 4) report
    for card, paths in written:
        if args.json:
            print(json.dumps(card, ensure_ascii=False, sort_keys=True))
            continue
        p = card["prediction"]
        who = card["statement"]["id"] if card["statement"]["id"] is not None else "text"
        print(
            f"{p['label']:<16} p={p['probability']:.3f}  top word {card['top_word']!r:<16} {who}: "
            + ", ".join(str(v) for v in paths.values())
        )
    return 0


def _with_steps(cfg: Any, n_steps: int) -> Any:
    """The explain config with ``--n-steps`` applied, validated like the config file's value."""
    from pydantic import ValidationError

    try:
        return type(cfg).model_validate({**cfg.model_dump(), "n_steps": n_steps})
    except ValidationError:
        field = type(cfg).model_fields["n_steps"]
        bounds = {type(m).__name__: m for m in field.metadata}
        low, high = getattr(bounds.get("Ge"), "ge", 2), getattr(bounds.get("Le"), "le", None)
        raise ConfigError(f"--n-steps {n_steps} is out of range", hint=f"use {low} to {high} steps") from None


def _items(ctx: Context, args: argparse.Namespace, model_row: dict[str, Any]) -> list[Any]:
    modes = [bool(args.texts), args.from_db is not None, args.file is not None]
    if sum(modes) != 1:
        raise DataSourceError(
            "explain needs exactly one of: TEXT…, --from-db [ID…], --file PATH",
            hint='e.g. deep-classiflie explain "the statement", or --from-db 12 34, or --from-db --split test',
        )
    if args.texts:
        return _free_text(ctx, args.texts, args.stype)
    if args.file is not None:
        return _from_file(ctx, args.file, args.stype)[: args.limit]
    return _from_store(ctx, args, model_row)


def _free_text(ctx: Context, texts: Sequence[str], stype: str) -> list[Any]:
    from deep_classiflie.core.text import normalise
    from deep_classiflie.dataset.types import check_statement_type
    from deep_classiflie.explain.api import ExplainInput

    check_statement_type(stype)
    out = []
    for raw in texts:
        text = normalise(raw, ctx.config.ingest.normalise)
        if not text:
            raise DataSourceError(
                f"nothing left to explain in {raw!r} after cleaning", hint="pass the statement's words"
            )
        out.append(ExplainInput(text=text, statement_type=stype))
    return out


def _from_file(ctx: Context, path: Path, default_type: str) -> list[Any]:
    from deep_classiflie.core.text import normalise
    from deep_classiflie.explain.api import ExplainInput

    if not path.is_file():
        raise DataSourceError(f"statement file {path} does not exist", hint="check the path given to --file")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record: dict[str, Any] = {"text": line}
        if line.lstrip().startswith("{"):
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise DataSourceError(f"{path}:{n} is not valid JSON: {exc}", hint="one JSON object per line") from exc
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise DataSourceError(f'{path}:{n} has no "text" string', hint='write {"text": "…", "type": "tweet"}')
        text = normalise(str(record["text"]), ctx.config.ingest.normalise)
        if not text:
            raise DataSourceError(f"{path}:{n}: nothing left to explain after cleaning", hint="remove the line")
        sid = record.get("statement_id")
        out.append(
            ExplainInput(
                text=text,
                statement_type=str(record.get("type") or default_type),
                statement_id=None if sid is None else int(sid),
                date=record.get("date"),
                actual_label=record.get("actual_label"),
                source_url=record.get("source_url"),
            )
        )
    return out


def _from_store(ctx: Context, args: argparse.Namespace, model_row: dict[str, Any]) -> list[Any]:
    from deep_classiflie.explain.api import ExplainInput
    from deep_classiflie_db.queries import evaluate as qe
    from deep_classiflie_db.queries.explain import actual_labels, statements_by_id

    engine = ctx.engine
    if args.from_db:
        ids = list(dict.fromkeys(args.from_db))
    else:
        split = args.split or "test"
        if model_row.get("dataset_collection_id") is None:
            raise DatasetError(
                f"model version {model_row['name']!r} records no dataset collection to take a {split} split from",
                hint="pass statement ids: --from-db ID…",
            )
        rows = qe.split_rows(engine, collection_id=int(model_row["dataset_collection_id"]), split=split)
        ids = [int(r["statement_id"]) for r in rows]
    ids = ids[: args.limit]
    found = statements_by_id(engine, statement_ids=ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise DataSourceError(
            f"statement id {missing[0]} is not in the store"
            + (f" (nor {len(missing) - 1} more)" if missing[1:] else ""),
            hint='pass ids of stored statements (or free text: deep-classiflie explain "text…")',
        )
    labels = actual_labels(engine, statement_ids=ids)
    out = []
    for sid in ids:
        row = found[sid]
        meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
        label = labels.get(sid)
        out.append(
            ExplainInput(
                text=str(row["text"]),
                statement_type=str(row["statement_type"]),
                statement_id=sid,
                date=row.get("statement_date"),
                actual_label=None if label is None else int(label["label"]),
                source_url=(meta or {}).get("url") or (None if label is None else label["url"]),
            )
        )
    return out
