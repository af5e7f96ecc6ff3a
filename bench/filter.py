"""Speed (and calibration) of the false-truth embedding filter on the shared Trump data, on CPU.

Truths: every own tweet (no retweets) 2009-2019; falsehoods: Toronto Star + CNN lists. Times the
input (non-contextual) embedding of everything, the contextual one on a sample (a full pass is
minutes on 2 cores; extrapolated), the blocked top-k search + exclusion, and sklearn's brute-force
NearestNeighbors on the same vectors for comparison. Also calibrates the thresholds on restated
claims (same Toronto Star slug) vs random pairs and says how many truths each threshold removes.

Usage: ``.venv/bin/python bench/filter.py [--contextual-sample 500] [--threads 1]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.shared_store import read_cnn, read_toronto_star, read_tweets
from deep_classiflie.config.dataset import FilterConfig
from deep_classiflie.dataset.calibrate import calibrate
from deep_classiflie.dataset.embed import filter_embeddings
from deep_classiflie.dataset.neighbours import embedding_exclusions, removed_at, unit_rows
from deep_classiflie.model.encoder import load_encoder

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
K = 20
THRESHOLD = FilterConfig().threshold_input


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--contextual-sample", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    ts = read_toronto_star(args.shared)
    falsehoods = ts + read_cnn(args.shared)
    tweets = [t for t in read_tweets(args.shared, range(2009, 2020)) if not t["is_retweet"]]
    f_texts, t_texts = [r["text"] for r in falsehoods], [r["text"] for r in tweets]
    print(f"falsehoods={len(f_texts)} truths={len(t_texts)} pairs={len(f_texts) * len(t_texts)}")
    encoder = load_encoder(None)

    # 1) embeddings: input (all) and contextual (falsehoods + a truth sample, extrapolated to all)
    t0 = time.perf_counter()
    t_in = filter_embeddings(encoder, t_texts, kind="input")
    f_in = filter_embeddings(encoder, f_texts, kind="input")
    embed_input = time.perf_counter() - t0
    print(f"embed_seconds_input={embed_input:.2f}")
    rng = np.random.default_rng(0)
    sample = [
        t_texts[i] for i in rng.choice(len(t_texts), size=min(args.contextual_sample, len(t_texts)), replace=False)
    ]
    t0 = time.perf_counter()
    f_ctx = filter_embeddings(encoder, f_texts, kind="contextual")
    s_ctx = filter_embeddings(encoder, sample, kind="contextual")
    ctx_s = time.perf_counter() - t0
    per_text = ctx_s / (len(f_texts) + len(sample))
    print(
        f"embed_seconds_contextual={ctx_s:.2f} (falsehoods + a sample of {len(sample)} truths; "
        f"all {len(f_texts) + len(t_texts)} texts extrapolated: {per_text * (len(f_texts) + len(t_texts)):.0f} s)"
    )

    # 2) neighbour search + exclusion, ours vs sklearn brute force
    t_ids, f_ids = list(range(len(t_texts))), list(range(len(f_texts)))
    t0 = time.perf_counter()
    excl, dist, idx = embedding_exclusions(t_ids, t_in, f_ids, f_in, k=K, threshold=THRESHOLD, reason="embedding_input")
    ours = time.perf_counter() - t0
    from sklearn.neighbors import NearestNeighbors

    t0 = time.perf_counter()
    nn = NearestNeighbors(n_neighbors=K, algorithm="brute", metric="euclidean", n_jobs=1).fit(unit_rows(t_in))
    sk_dist, _sk_idx = nn.kneighbors(unit_rows(f_in))
    theirs = time.perf_counter() - t0
    agree = float(np.mean(np.abs(np.sort(sk_dist, 1) - np.sort(dist, 1)) < 1e-3))
    print(
        f"search_seconds_blocked_topk={ours:.2f} search_seconds_sklearn_brute={theirs:.2f} "
        f"speedup={theirs / ours:.1f}x distance_agreement={agree:.4f}"
    )

    # 3) calibration on restated claims, and what each threshold removes
    slugs = [r.get("meta", {}).get("slug", "") for r in ts] + [""] * (len(falsehoods) - len(ts))
    hashes = [r["text_hash"] for r in falsehoods]
    for name, emb, tdist, tidx in (("input", f_in, dist, idx), ("contextual", f_ctx, None, None)):
        cal = calibrate(emb, slugs, hashes)
        print(f"calibration_{name}: {cal}")
        if tdist is None:  # contextual on the sample only: scale counts to the full truth set
            d2, i2 = embedding_exclusions(
                list(range(len(sample))), s_ctx, f_ids, f_ctx, k=K, threshold=0.0, reason="x"
            )[1:]
            scale = len(t_texts) / len(sample)
            sweep = {
                k: round(v * scale)
                for k, v in removed_at(d2, i2, [0.02, 0.04, 0.1, 0.2, 0.3, cal["threshold"]]).items()
            }
            print(f"removed_{name} (extrapolated from the sample): {sweep}")
        elif tidx is not None:
            print(
                f"removed_{name}: {removed_at(tdist, tidx, [0.02, 0.04, 0.06, 0.1, 0.15, 0.2, 0.3, cal['threshold']])}"
            )
    print(f"excluded_at_default_input={len(excl)}")
    print(
        f"RESULT seconds={ours:.3f} pairs={len(f_texts) * len(t_texts)} embed_seconds={embed_input:.2f} "
        f"sklearn_seconds={theirs:.3f} ratio={theirs / ours:.2f}"
    )


if __name__ == "__main__":
    main()
