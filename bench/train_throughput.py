"""Training throughput, ALBERT-base size: our packed loop vs the HF ``Trainer`` (bf16) on the same statements.

Statements have the real length distribution of the shared data (Trump tweets + Toronto Star claims),
tokenised with the real ALBERT SentencePiece model; weights are random (speed does not depend on them).

Ours: 1) statements tokenised once and held on the GPU; 2) length-bucketed packing into fixed token rows
(one row = one step, static shapes); 3) per-statement attention with FlexAttention block masks built up
front; 4) ``torch.compile`` of model + head; 5) fused AdamW, bf16 autocast.
HF: ``AlbertForSequenceClassification`` + ``Trainer(bf16=True)``, batch 128 padded to 128 tokens.

    GPU:  PYTHONPATH=$PWD python3 bench/train_throughput.py
    CPU:  .venv/bin/python bench/train_throughput.py --device cpu --tiny

Prints ``RESULT ours_statements_per_s=… hf_trainer_statements_per_s=… ratio=…`` last.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deep_classiflie.model.head import ClassifierHead, HeadConfig, classification_loss
from deep_classiflie.model.packed import PackedAlbert, pack, packed_inputs, statement_block_mask

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DC_SHARED", ROOT.parent / "shared"))
MAX_LEN = 128


def albert_config(tiny: bool, vocab_size: int):  # type: ignore[no-untyped-def]
    """ALBERT-base (hidden 768, 12 heads, 12 layers, embedding 128), or a tiny one for CPU smoke runs."""
    from transformers import AlbertConfig

    if tiny:
        return AlbertConfig(
            vocab_size=vocab_size,
            embedding_size=16,
            hidden_size=64,
            num_attention_heads=4,
            intermediate_size=128,
            num_hidden_layers=2,
            num_hidden_groups=1,
        )
    return AlbertConfig(
        vocab_size=vocab_size,
        embedding_size=128,
        hidden_size=768,
        num_attention_heads=12,
        intermediate_size=3072,
        num_hidden_layers=12,
        num_hidden_groups=1,
    )


def load_statements(limit: int | None, min_words: int, max_words: int) -> tuple[list[str], list[int]]:
    """Tweet texts and Toronto Star claims from the shared data (type 0 = tweet, 1 = claim), kept when their
    word count is within the dataset stage's bounds (``dataset.min_words``/``max_words``: 7..107)."""
    texts, types = [], []
    for path in sorted((SHARED / "data" / "trump_tweets_condensed_2009_2019").glob("condensed_*.json*")):
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()  # .gz: a carried copy
        for row in json.loads(raw.decode("utf-8")):
            texts.append(row["text"])
            types.append(0)
    with open(SHARED / "data" / "toronto_star_trump_false_claims_2017_2018" / "liar.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["claim"])
            types.append(1)
    keep = [i for i, t in enumerate(texts) if min_words <= len(t.split()) <= max_words]
    texts, types = [texts[i] for i in keep], [types[i] for i in keep]
    if limit:
        step = max(1, len(texts) // limit)
        texts, types = texts[::step][:limit], types[::step][:limit]
    return texts, types


def tokenize(texts: list[str]):  # type: ignore[no-untyped-def]
    from transformers import AlbertTokenizer

    tok = AlbertTokenizer(vocab_file=str(SHARED / "models" / "albert-base-v2" / "spiece.model"))
    return tok, tok(texts, truncation=True, max_length=MAX_LEN)["input_ids"]


def build_rows(ids: list[list[int]], budget: int, max_docs: int, device: torch.device, flex: bool) -> list[dict]:  # type: ignore[type-arg]
    """Pack statements into rows of ``budget`` tokens, materialised on the device once (GPU-side data).

    Bucketing: statements are packed within length-sorted pools so rows mix similar lengths less;
    first-fit-decreasing fills each row; ``starts`` is padded to ``max_docs`` (padding entries masked out).
    """
    rows = []
    for group in pack([len(x) for x in ids], budget):
        group = group[:max_docs]
        batch = packed_inputs([ids[i] for i in group], pad_to=budget)
        n = len(group)
        starts = torch.zeros(max_docs, dtype=torch.long)
        starts[:n] = batch["starts"]
        row = {k: v.to(device) for k, v in batch.items() if k != "starts"}
        row["starts"], row["index"] = starts.to(device), torch.tensor(group + [0] * (max_docs - n), device=device)
        row["valid"] = (torch.arange(max_docs) < n).float().to(device)
        row["n"] = n
        row["block_mask"] = statement_block_mask(row["doc_ids"]) if flex else None
        rows.append(row)
    return rows


def bench_ours(cfg, ids, types, labels, args, device: torch.device) -> float:  # type: ignore[no-untyped-def]
    """Statements per second of the packed, compiled loop (after warm-up steps)."""
    from transformers import AlbertModel

    torch.manual_seed(0)
    encoder = PackedAlbert.from_hf(AlbertModel(cfg)).to(device)
    head = ClassifierHead(HeadConfig(input_dim=cfg.hidden_size, dropout=0.0)).to(device)
    params = list(encoder.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=1e-5, fused=device.type == "cuda")
    types_d, labels_d = torch.tensor(types, device=device), torch.tensor(labels, device=device)
    use_flex = device.type == "cuda"
    rows = build_rows(ids, args.budget, args.max_docs, device, use_flex)

    def loss_fn(ids, pos, doc_ids, starts, index, valid, block_mask):  # type: ignore[no-untyped-def]
        _, pooled = encoder(ids, pos, doc_ids, starts, block_mask=block_mask)
        logits = head(pooled, types_d[index])
        return classification_loss(logits, labels_d[index], num_classes=2, label_smoothing=0.17, weights=valid)

    step_loss = torch.compile(loss_fn) if args.compile else loss_fn
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")

    def step(row) -> None:  # type: ignore[no-untyped-def]
        with autocast:
            keys = ("ids", "pos", "doc_ids", "starts", "index", "valid", "block_mask")
            loss = step_loss(*(row[k] for k in keys))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for row in rows[: args.warmup]:
        step(row)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    start, done, i = time.perf_counter(), 0, 0
    while i < args.steps:
        row = rows[(args.warmup + i) % len(rows)]
        step(row)
        done += row["n"]
        i += 1
    sync()
    return done / (time.perf_counter() - start)


def bench_hf(cfg, ids, labels, args, device: torch.device) -> float:  # type: ignore[no-untyped-def]
    """Statements per second of ``Trainer`` (bf16 on GPU), timed from after the warm-up steps."""
    try:
        import accelerate  # noqa: F401  (Trainer needs it)
    except ImportError:
        print("HF Trainer skipped: accelerate is not installed", flush=True)
        return float("nan")
    from transformers import AlbertForSequenceClassification, Trainer, TrainerCallback, TrainingArguments

    class Clock(TrainerCallback):
        t0 = 0.0
        t1 = 0.0

        def on_step_end(self, a, state, control, **kw):  # type: ignore[no-untyped-def]
            if state.global_step == args.warmup:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                Clock.t0 = time.perf_counter()
            if device.type == "cuda":
                torch.cuda.synchronize()
            Clock.t1 = time.perf_counter()

    pad = [x + [0] * (MAX_LEN - len(x)) for x in ids]
    data = [
        {"input_ids": p, "attention_mask": [1] * len(x) + [0] * (MAX_LEN - len(x)), "labels": y}
        for p, x, y in zip(pad, ids, labels, strict=True)
    ]
    torch.manual_seed(0)
    model = AlbertForSequenceClassification(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        targs = TrainingArguments(
            output_dir=tmp,
            per_device_train_batch_size=args.hf_batch,
            max_steps=args.warmup + args.steps,
            bf16=device.type == "cuda",
            use_cpu=device.type == "cpu",
            logging_steps=10**9,
            save_strategy="no",
            report_to=[],
            dataloader_num_workers=2 if device.type == "cuda" else 0,
            disable_tqdm=True,
        )
        Trainer(model=model, args=targs, train_dataset=data, callbacks=[Clock()]).train()
    return args.steps * args.hf_batch / (Clock.t1 - Clock.t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tiny", action="store_true", help="tiny model and data: a CPU smoke run")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (each side)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (compilation)")
    parser.add_argument("--budget", type=int, default=None, help="tokens per packed row")
    parser.add_argument("--max-docs", type=int, default=None, help="statements per packed row at most")
    parser.add_argument("--hf-batch", type=int, default=None)
    parser.add_argument("--no-compile", dest="compile", action="store_false")
    parser.add_argument("--min-words", type=int, default=7)
    parser.add_argument("--max-words", type=int, default=107)
    args = parser.parse_args()
    small = args.tiny
    args.steps = args.steps or (4 if small else 60)
    args.warmup = args.warmup or (1 if small else 8)
    args.budget = args.budget or (512 if small else 16384)
    args.max_docs = args.max_docs or (64 if small else 1024)
    args.hf_batch = args.hf_batch or (8 if small else 128)
    if small:
        args.compile = False
        torch.set_num_threads(1)
    device = torch.device(args.device)
    texts, types = load_statements(400 if small else None, args.min_words, args.max_words)
    tok, ids = tokenize(texts)
    labels = [int(i % 3 == 0) for i in range(len(ids))]
    mean_len = sum(map(len, ids)) / len(ids)
    print(
        f"{len(ids)} statements, mean {mean_len:.1f} tokens, device {torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}",
        flush=True,
    )
    cfg = albert_config(small, len(tok))
    ours = bench_ours(cfg, ids, types, labels, args, device)
    print(f"ours: {ours:.1f} statements/s", flush=True)
    hf = bench_hf(cfg, ids, labels, args, device)
    print(f"hf trainer: {hf:.1f} statements/s", flush=True)
    print(f"RESULT ours_statements_per_s={ours:.1f} hf_trainer_statements_per_s={hf:.1f} ratio={ours / hf:.2f}")


if __name__ == "__main__":
    main()
