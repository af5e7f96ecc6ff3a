"""Integrated-gradients speed on MiniLM: the explain stage's path vs a plain captum call, same statements, same run.

1. Model: the offline all-MiniLM-L6-v2 encoder with a classification head (seeded; speed and convergence do not
   depend on how the head was trained), 2 threads.
2. Statements: the first 20 claims of the Toronto Star list (``../shared/data``), cleaned as ingest cleans them.
3. Ours: ``deep_classiflie.explain.attribution.attribute`` with the stage's config: ``--precision`` (auto: the
   path integral on a bf16 copy of the encoder where the CPU has native bf16 kernels; endpoints always fp32),
   ``--batch-size`` statements per captum call padded to the longest, weights without gradients, ``--adaptive``:
   every statement at ``--min-steps``, those whose delta is over ``--delta-tolerance`` redone at ``--n-steps``,
   then doubled up to ``--max-steps``.
4. Plain: captum ``LayerIntegratedGradients`` on the word-embedding layer with its defaults
   (``internal_batch_size=None``, gausslegendre), one statement at a time, baseline = pad for every non-special
   token, the model as loaded (weights requiring gradients).
Each side runs one warm-up statement first; the two sides alternate for ``--rounds`` rounds, the best round counts.
The convergence delta is captum's definition, sum(attributions) - (f(x) - f(b)), absolute, on the logit, max over
statements (also relative to |f(x) - f(b)|); ours takes f from the fp32 model whatever the path's precision.
Wall seconds count; CPU seconds are printed too (the machine may be shared).

Usage: ``nice -n 10 .venv/bin/python bench/explain.py [--n-steps 50] [--no-adaptive] [--precision fp32] [--rounds 2]``.
Last line: ``RESULT ig_seconds_per_statement=… captum_default_seconds_per_statement=… speedup=…
max_convergence_delta=… captum_max_convergence_delta=…``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("DC_SHARED_DATA", ROOT.parent / "shared" / "data"))


def statements(n: int) -> list[str]:
    """Step 2: the first ``n`` Toronto Star claims, cleaned (quotes stripped, as the importer does)."""
    from deep_classiflie.core.text import normalise

    path = SHARED / "toronto_star_trump_false_claims_2017_2018" / "liar.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    texts = [normalise(r["claim"].strip().strip('"')) for r in rows]
    return [t for t in texts if t][:n]


def classifier(max_length: int) -> Any:
    """Step 1: MiniLM + a seeded head, as a ``Classifier``."""
    from deep_classiflie.model.classifier import Classifier, FactClassifier
    from deep_classiflie.model.encoder import load_encoder
    from deep_classiflie.model.head import ClassifierHead, HeadConfig

    enc = load_encoder(None)
    torch.manual_seed(0)
    cfg = HeadConfig(input_dim=int(enc.model.config.hidden_size), max_length=max_length)
    model = FactClassifier(enc.model, ClassifierHead(cfg)).eval()
    path = Path(".")
    return Classifier(model=model, tokenizer=enc.tokenizer, head_config=cfg, folder=path, encoder_path=path)


def ours(clf: Any, texts: list[str], cfg: Any) -> tuple[float, list[float], list[float], list[int]]:
    """Step 3: seconds for all ``texts``, absolute and relative deltas, steps used."""
    from deep_classiflie.explain.attribution import attribute

    types = np.ones(len(texts), dtype=np.int64)
    t0 = time.perf_counter()
    results = attribute(clf, texts, types, cfg)
    seconds = time.perf_counter() - t0
    rel = [abs(r.delta) / max(abs(r.target_value - r.baseline_value), 1e-3) for r in results]
    return seconds, [abs(r.delta) for r in results], rel, [r.n_steps for r in results]


def plain(clf: Any, texts: list[str], n_steps: int) -> tuple[float, list[float], list[float]]:
    """Step 4: captum's defaults, one statement at a time."""
    from captum.attr import LayerIntegratedGradients

    model = clf.model

    def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor, type_ids: torch.Tensor) -> torch.Tensor:
        return model(input_ids, attention_mask, type_ids)

    lig = LayerIntegratedGradients(forward, model.input_embeddings())
    absolute, rel = [], []
    t0 = time.perf_counter()
    for text in texts:
        enc = clf.tokenizer(
            [text],
            return_tensors="pt",
            truncation=True,
            max_length=clf.head_config.max_length,
            return_special_tokens_mask=True,
        )
        ids, mask = enc["input_ids"], enc["attention_mask"]
        base = torch.where(enc["special_tokens_mask"].bool(), ids, torch.full_like(ids, clf.tokenizer.pad_token_id))
        types = torch.ones(1, dtype=torch.int64)
        _attr, delta = lig.attribute(
            ids, baselines=base, additional_forward_args=(mask, types), n_steps=n_steps, return_convergence_delta=True
        )
        with torch.no_grad():
            gap = float(forward(ids, mask, types) - forward(base, mask, types))
        absolute.append(abs(float(delta)))
        rel.append(abs(float(delta)) / max(abs(gap), 1e-3))
    return time.perf_counter() - t0, absolute, rel


def main() -> None:
    from deep_classiflie.config.explain import ExplainConfig

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statements", type=int, default=20)
    ap.add_argument("--n-steps", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=ExplainConfig().batch_size)
    ap.add_argument("--max-padding", type=float, default=ExplainConfig().max_padding)
    ap.add_argument("--max-tokens", type=int, default=None, help="only statements of at most this many tokens")
    ap.add_argument("--internal-batch-size", type=int, default=None)
    ap.add_argument("--adaptive", action=argparse.BooleanOptionalAction, default=ExplainConfig().adaptive)
    ap.add_argument("--min-steps", type=int, default=ExplainConfig().min_steps)
    ap.add_argument("--max-steps", type=int, default=ExplainConfig().max_steps)
    ap.add_argument("--precision", choices=["auto", "fp32", "bf16"], default=ExplainConfig().precision)
    ap.add_argument("--delta-tolerance", type=float, default=ExplainConfig().delta_tolerance)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-length", type=int, default=128)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clf = classifier(args.max_length)
    texts = statements(10_000 if args.max_tokens else args.statements)
    if args.max_tokens:
        texts = [t for t in texts if len(clf.tokenizer(t)["input_ids"]) <= args.max_tokens][: args.statements]
    cfg = ExplainConfig(
        n_steps=args.n_steps,
        batch_size=args.batch_size,
        max_padding=args.max_padding,
        internal_batch_size=args.internal_batch_size,
        adaptive=args.adaptive,
        min_steps=args.min_steps,
        max_steps=args.max_steps,
        precision=args.precision,
        delta_tolerance=args.delta_tolerance,
    )
    n_tokens = [len(clf.tokenizer(t)["input_ids"]) for t in texts]
    print(
        f"{len(texts)} statements, tokens mean {np.mean(n_tokens):.1f} max {max(n_tokens)}; n_steps={args.n_steps} "
        f"batch_size={cfg.batch_size} adaptive={cfg.adaptive} threads={torch.get_num_threads()}"
    )
    ours(clf, texts[:1], cfg)  # warm-up
    plain(clf, texts[:1], args.n_steps)
    best_ours, best_plain = float("inf"), float("inf")
    for r in range(args.rounds):
        c0 = time.process_time()
        s_ours, abs_ours, rel_ours, steps = ours(clf, texts, cfg)
        c1 = time.process_time()
        s_plain, abs_plain, rel_plain = plain(clf, texts, args.n_steps)
        c2 = time.process_time()
        best_ours, best_plain = min(best_ours, s_ours), min(best_plain, s_plain)
        print(
            f"round {r + 1}: ours {s_ours / len(texts):.3f} s/statement ({(c1 - c0) / len(texts):.3f} CPU s), "
            f"plain captum {s_plain / len(texts):.3f} ({(c2 - c1) / len(texts):.3f} CPU s)"
        )
    print(
        f"ours: steps used {sorted(set(steps))}, max |delta| {max(abs_ours):.2e} (relative {max(rel_ours):.2e}); "
        f"plain: max |delta| {max(abs_plain):.2e} (relative {max(rel_plain):.2e})"
    )
    per_ours, per_plain = best_ours / len(texts), best_plain / len(texts)
    print(
        f"RESULT ig_seconds_per_statement={per_ours:.3f} captum_default_seconds_per_statement={per_plain:.3f} "
        f"speedup={per_plain / per_ours:.2f} max_convergence_delta={max(abs_ours):.2e} "
        f"captum_max_convergence_delta={max(abs_plain):.2e} n_steps={args.n_steps}"
    )


if __name__ == "__main__":
    main()
