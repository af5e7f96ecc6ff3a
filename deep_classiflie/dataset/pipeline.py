"""The dataset steps chained, on in-memory records: no SQL, no files. ``build.py`` does the I/O."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from deep_classiflie.config.dataset import DatasetConfig
from deep_classiflie.core.errors import DatasetError
from deep_classiflie.dataset.balance import balance_members
from deep_classiflie.dataset.candidates import select_candidate_truths
from deep_classiflie.dataset.convergence import converge_by_strata, words_by_type
from deep_classiflie.dataset.editorial import strip_records
from deep_classiflie.dataset.leakage import leakage_report, origin
from deep_classiflie.dataset.located import located_origins, matched_by_source, transcript_matches
from deep_classiflie.dataset.neighbours import embedding_exclusions, hash_exclusions, removed_at
from deep_classiflie.dataset.records import Exclusion, Member, Record
from deep_classiflie.dataset.splits import SPLITS, chronological_split, given_split, stratified_split
from deep_classiflie.dataset.tasks import TaskSpec, meta_text

EmbedFn = Callable[[Sequence[str]], np.ndarray]


@dataclass
class BuildResult:
    """Members with splits and weights, exclusions, per-step statistics and optional metadata features."""

    members: list[Member]
    exclusions: list[Exclusion]
    steps: dict[str, Any]
    meta: dict[str, np.ndarray] | None = None
    meta_names: list[str] = field(default_factory=list)


def dedupe_falsehoods(falsehoods: Sequence[Record]) -> tuple[list[Record], int]:
    """One falsehood per statement and per text hash (the earliest, then lowest id); returns the dropped count."""
    seen_ids: set[int] = set()
    seen_hash: set[str] = set()
    out = []
    for rec in sorted(falsehoods, key=lambda r: (r.date is None, r.date or 0, r.statement_id)):
        if rec.statement_id in seen_ids or rec.text_hash in seen_hash:
            continue
        seen_ids.add(rec.statement_id)
        seen_hash.add(rec.text_hash)
        out.append(rec)
    return sorted(out, key=lambda r: r.statement_id), len(falsehoods) - len(out)


def filter_truths(
    truths: list[Record], falsehoods: list[Record], cfg: DatasetConfig, embed: EmbedFn | None
) -> tuple[list[Record], list[Exclusion], dict[str, Any]]:
    """Step 2: exact-hash filter, then the embedding filter on what is left."""
    stats: dict[str, Any] = {"candidates": len(truths)}
    exclusions = hash_exclusions(truths, falsehoods) if cfg.filter.exact_hash else []
    stats["hash"] = len(exclusions)
    stats["hash_by_source"] = matched_by_source(exclusions, truths)
    gone = {e.statement_id for e in exclusions}
    left = [t for t in truths if t.statement_id not in gone]
    if cfg.filter.transcript_match:  # a falsehood quoted from inside a candidate is that falsehood
        located = transcript_matches(left, falsehoods, days=cfg.filter.match_days, min_share=cfg.filter.match_min_share)
        stats["transcript_match"] = len(located)
        stats["transcript_match_by_source"] = matched_by_source(located, left)
        exclusions += located
        gone |= {e.statement_id for e in located}
        left = [t for t in left if t.statement_id not in gone]
    kind = cfg.filter.embedding
    if kind != "none" and left and falsehoods:
        if embed is None:
            raise DatasetError(
                "the embedding filter needs an encoder", hint="pass encoder_loader or set filter.embedding: none"
            )
        threshold = cfg.filter.threshold_input if kind == "input" else cfg.filter.threshold_contextual
        emb = embed([r.text for r in left + falsehoods])
        near, dist, idx = embedding_exclusions(
            [t.statement_id for t in left],
            emb[: len(left)],
            [f.statement_id for f in falsehoods],
            emb[len(left) :],
            k=cfg.filter.top_k,
            threshold=threshold,
            reason=f"embedding_{kind}",
            block_size=cfg.filter.block_size,
        )
        stats.update(
            embedding=kind,
            threshold=threshold,
            embedding_removed=len(near),
            embedding_by_source=matched_by_source(near, left),
            sweep=removed_at(dist, idx, cfg.filter.sweep),
            nearest_distance_quantiles={
                f"q{q}": round(float(np.quantile(dist[:, 0], q / 100)), 4) for q in (1, 5, 25, 50)
            },
        )
        exclusions += near
        gone |= {e.statement_id for e in near}
        left = [t for t in left if t.statement_id not in gone]
    stats["kept"] = len(left)
    return left, exclusions, stats


def build_falsehood_members(
    falsehoods: Sequence[Record],
    statements: Sequence[Record],
    cfg: DatasetConfig,
    task: TaskSpec,
    embed: EmbedFn | None,
) -> BuildResult:
    """The binary falsehood task: steps 1 to 6 on falsehoods (label 1) and the speaker's statements."""
    types = cfg.falsehood_stream_types
    in_range = [
        r.with_label(1)
        for r in falsehoods
        if cfg.min_words <= r.word_count <= cfg.max_words and (types is None or r.statement_type in types)
    ]
    false_recs, n_dupes = dedupe_falsehoods(in_range)
    if not false_recs:
        raise DatasetError(
            f"no falsehoods of {cfg.min_words}-{cfg.max_words} words for task {cfg.task!r}",
            hint="run `deep-classiflie ingest --source toronto_star` first (or widen dataset.min_words/max_words)",
        )
    steps: dict[str, Any] = {
        "falsehoods": {"read": len(falsehoods), "in_word_range_and_types": len(in_range), "duplicate_text": n_dupes}
    }
    candidates = select_candidate_truths(  # 1)
        statements,
        false_recs,
        min_words=cfg.min_words,
        max_words=cfg.max_words,
        stream_types=cfg.truth_stream_types,
        truth_dates=cfg.truth_dates,
    )
    if not candidates:
        raise DatasetError(
            f"no candidate truths of types {cfg.truth_stream_types} in the falsehoods' dates",
            hint="run `deep-classiflie ingest --source tweets` first, or widen dataset.truth_stream_types",
        )
    truths, exclusions, steps["filter"] = filter_truths(candidates, false_recs, cfg, embed)  # 2)
    if cfg.strip_editorial:  # 2b) a fact-checker's insertions and elisions in quoted speech (editorial.py)
        false_recs, f_stats = strip_records(false_recs, min_words=cfg.min_words)
        truths, t_stats = strip_records(truths, min_words=cfg.min_words)
        steps["editorial"] = {"falsehoods": f_stats, "truths": t_stats}
    if cfg.converge:  # 3)
        by = cfg.converge_by

        false_recs = located_origins(false_recs, exclusions, candidates)

        def stratum(r: Record) -> str:
            parts = [r.statement_type if "type" in by else "", r.month if "month" in by else ""]
            parts.append(origin(r) if "source" in by else "")
            return "/".join(p for p in parts if p) or "all"

        conv = converge_by_strata(
            truths,
            false_recs,
            stratum=stratum,
            ratio=cfg.max_truths_per_falsehood,
            seed=cfg.seed,
            bin_width=cfg.converge_bin_width,
            drop_falsehoods=cfg.converge_drop_falsehoods,
        )
        filtered, truths = truths, conv.truths
        steps["convergence"] = {
            "by": list(by),
            "ks_before": conv.ks_before,
            "ks_after": conv.ks_after,
            "target": conv.target,
            "kept": len(truths),
            "shortfall": conv.shortfall,
            "falsehoods_dropped": len(false_recs) - len(conv.falsehoods),
            "by_type": words_by_type(filtered, false_recs, truths, conv.falsehoods),
            "strata": conv.strata,
        }
        false_recs = conv.falsehoods
        if not false_recs:
            raise DatasetError(
                "no falsehood kept by the length convergence: no stratum has truths to match its falsehoods",
                hint="ingest same-period transcripts, or set dataset.converge_drop_falsehoods: false",
            )
    split_of = chronological_split(false_recs, truths, cfg.splits)  # 4)
    members = [
        Member(r, split_of[r.statement_id]) for r in sorted([*false_recs, *truths], key=lambda r: r.statement_id)
    ]
    members = balance_members(members, how=cfg.balance, seed=cfg.seed)  # 5)
    return BuildResult(members=members, exclusions=exclusions, steps=steps)


def build_labelled_members(records: Sequence[Record], cfg: DatasetConfig, task: TaskSpec) -> BuildResult:
    """A labelled task (LIAR, MediaEval, CSV): every labelled statement, given or stratified splits."""
    if not records:
        raise DatasetError(
            f"no labelled statements for task {cfg.task!r} (sources {task.sources}, raters {task.rating_sources})",
            hint=f"run `deep-classiflie ingest --source {(task.sources or ['<source>'])[0]}` first",
        )
    if task.split == "given":
        split_of = given_split(records, cfg.splits, seed=cfg.seed, given_map=task.given_split_map)
    elif task.split == "chronological":
        split_of = chronological_split(records, [], cfg.splits)
    else:
        split_of = stratified_split(records, cfg.splits, seed=cfg.seed)
    ordered = sorted(records, key=lambda r: r.statement_id)
    if task.text_meta:
        ordered = [replace(r, text=meta_text(r.text, r.meta, task.text_meta)) for r in ordered]
    members = [Member(r, split_of[r.statement_id]) for r in ordered]
    members = balance_members(members, how=cfg.balance, seed=cfg.seed)
    meta, names = meta_features(members, task)
    return BuildResult(members=members, exclusions=[], steps={"labelled": len(records)}, meta=meta, meta_names=names)


def meta_features(
    members: Sequence[Member], task: TaskSpec, *, top_n: int = 20
) -> tuple[dict[str, np.ndarray] | None, list[str]]:
    """One-hot of ``task.meta_features`` (vocabulary: the ``top_n`` commonest training values + other)
    and, when enabled, log1p credit-history counts. Per split, rows in statement-id order."""
    if not task.meta_features and not task.credit_history_key:
        return None, []
    names: list[str] = []
    vocab: dict[str, list[str]] = {}
    train = [m.record for m in members if m.split == "train"]
    for key in task.meta_features:
        counts: dict[str, int] = {}
        for r in train:
            v = str(r.meta.get(key, "")).strip().lower()
            counts[v] = counts.get(v, 0) + 1
        vocab[key] = sorted(counts, key=lambda v: (-counts[v], v))[:top_n]
        names += [f"{key}={v}" for v in vocab[key]] + [f"{key}=<other>"]
    n_credit = 0
    if task.credit_history_key:
        sample: Any = next(
            (r.meta.get(task.credit_history_key) for r in train if r.meta.get(task.credit_history_key)), []
        )
        n_credit = len(sample)
        keys = list(sample.keys()) if isinstance(sample, dict) else [str(i) for i in range(n_credit)]
        names += [f"{task.credit_history_key}.{k}" for k in keys]

    def row(r: Record) -> list[float]:
        out: list[float] = []
        for key in task.meta_features:
            v = str(r.meta.get(key, "")).strip().lower()
            out += [float(v == w) for w in vocab[key]] + [float(v not in vocab[key])]
        if task.credit_history_key:
            raw = r.meta.get(task.credit_history_key) or [0.0] * n_credit
            vals = list(raw.values()) if isinstance(raw, dict) else list(raw)
            out += [float(np.log1p(float(v))) for v in vals[:n_credit]] + [0.0] * (n_credit - len(vals))
        return out

    meta = {}
    for split in SPLITS:
        recs = sorted((m.record for m in members if m.split == split), key=lambda r: r.statement_id)
        meta[split] = np.array([row(r) for r in recs], dtype=np.float32).reshape(len(recs), len(names))
    return meta, names


def add_leakage(result: BuildResult, task: TaskSpec, cfg: DatasetConfig) -> dict[str, Any]:
    """Step 6: the report stored with the collection (leakage tables and probe + step statistics)."""
    report = leakage_report(
        result.members,
        task.classes,
        features=cfg.leakage.features,
        auc_threshold=cfg.leakage.auc_threshold,
        seed=cfg.seed,
    )
    report["steps"] = result.steps
    report["train_copies"] = sum(m.copies for m in result.members if m.split == "train")
    return report
