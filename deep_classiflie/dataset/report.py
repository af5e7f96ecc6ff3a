"""Plain-text rendering of a collection's report (stored as JSON in ``dataset_collections.report``)."""

from __future__ import annotations

from typing import Any


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def format_report(info: dict[str, Any], *, months: bool = True) -> str:
    """The report as text: counts per split and type, steps, the metadata probe, flags and (optionally) months."""
    report = info.get("report") or {}
    classes = list(next(iter(report.get("counts", {}).values()), {}).keys())
    lines = [f"collection {info['id']} {info['name']!r} task {info['task']} hash {info['content_hash'][:12]}"]
    if classes:
        lines += ["", "class counts per split (natural, before oversampling):"]
        rows = [["split", *classes]] + [[s, *(str(c[k]) for k in classes)] for s, c in report["counts"].items()]
        lines += _table(rows)
        lines += ["", "class counts per statement type:"]
        rows = [["type", *classes]] + [[t, *(str(c[k]) for k in classes)] for t, c in report.get("by_type", {}).items()]
        lines += _table(rows)
    steps = report.get("steps", {})
    if "filter" in steps:
        f = steps["filter"]
        lines += ["", f"false-truth filter: {f['candidates']} candidates, {f['hash']} exact-hash duplicates removed"]
        if "transcript_match" in f:
            per = ", ".join(f"{k} {v}" for k, v in f.get("transcript_match_by_source", {}).items()) or "none"
            lines.append(
                f"  falsehoods found inside candidates (same days ± match window): {f['transcript_match']} ({per})"
            )
        if "embedding" in f:
            lines.append(
                f"  embedding ({f['embedding']}) < {f['threshold']}: {f['embedding_removed']} removed; kept {f['kept']}"
            )
            lines.append("  would remove at threshold: " + ", ".join(f"{k}: {v}" for k, v in f["sweep"].items()))
    if "convergence" in steps:
        c = steps["convergence"]
        lines.append(
            f"length convergence (by {', '.join(c.get('by', [])) or 'all'}): KS {c['ks_before']} → {c['ks_after']}; "
            f"kept {c['kept']} of target {c['target']} (shortfall {c['shortfall']}, "
            f"falsehoods dropped {c.get('falsehoods_dropped', 0)})"
        )
        if c.get("by_type"):
            rows = [
                [
                    "type",
                    "truths",
                    "falsehoods",
                    "median words T",
                    "F",
                    "kept truths",
                    "kept falsehoods",
                    "median words T",
                    "F",
                ]
            ]
            for t, r in c["by_type"].items():
                n_before = [str(r["n_truths_before"]), str(r["n_falsehoods_before"])]
                med_before = [_num(r["median_words_truths_before"]), _num(r["median_words_falsehoods_before"])]
                n_after = [str(r["n_truths_after"]), str(r["n_falsehoods_after"])]
                med_after = [_num(r["median_words_truths_after"]), _num(r["median_words_falsehoods_after"])]
                rows.append([t, *n_before, *med_before, *n_after, *med_after])
            lines += _table(rows)
    probe = report.get("metadata_probe")
    if probe:
        lines += [
            "",
            f"metadata-only probe ({', '.join(probe['features'])}): val AUC {probe['auc_val']} "
            f"(flag above {probe['auc_threshold']})",
        ]
    if report.get("by_split_type"):
        lines += ["", "class counts per split × statement type:"]
        rows = [["split", "type", *classes]]
        for split, types in report["by_split_type"].items():
            rows += [[split, t, *(str(c[k]) for k in classes)] for t, c in types.items()]
        lines += _table(rows)
    flags = report.get("flags", [])
    lines += ["", "FLAGS:" if flags else "no leakage flags"] + [f"  ! {f}" for f in flags]
    if months and report.get("table"):
        lines += ["", "class counts per split × type × month:"]
        rows = [["split", "type", "month", *classes]]
        rows += [[r["split"], r["type"], r["month"], *(str(r[k]) for k in classes)] for r in report["table"]]
        lines += _table(rows)
    return "\n".join(lines)
