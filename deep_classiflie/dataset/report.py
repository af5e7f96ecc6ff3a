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
    if "editorial" in steps:
        e = steps["editorial"]
        lines.append(
            "plain typography (every statement) and editorial marks (spoken ones): "
            + "; ".join(
                f"{who} {v['changed']} changed ({v['typography']} by typography, {v['insertions']} insertions, "
                f"{v['elisions']} elisions, {v['dropped_too_short']} dropped as too short)"
                for who, v in e.items()
            )
        )
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


def leakage_advice(report: dict[str, Any], *, top: int = 4) -> list[str]:
    """Why the metadata probe is above its threshold and what data would fix it (empty when it is not).

    From the report: split × type cells holding one class, strata whose falsehoods had no same-period
    truths (dropped or one-class), and publication origins holding one class only.
    """
    probe = report.get("metadata_probe") or {}
    auc, limit = probe.get("auc_val"), probe.get("auc_threshold")
    if auc is None or limit is None or auc <= limit:
        return []
    out = [f"metadata alone reaches val AUC {auc} (> {limit}): the labels follow when/where/how long, not only what"]
    for split, types in (report.get("by_split_type") or {}).items():
        for stype, counts in types.items():
            present = [c for c, n in counts.items() if n]
            if len(present) == 1:
                out.append(f"{split}: {stype} holds only {present[0]}: add the other class's {stype} statements")
    missing: dict[str, list[str]] = {}
    for key, row in ((report.get("steps") or {}).get("convergence") or {}).get("strata", {}).items():
        if row.get("truths_before") == 0 and row.get("falsehoods_before"):
            stype, _, month = key.partition("/")
            missing.setdefault(stype, []).append(month or "all months")
    for stype, months in sorted(missing.items(), key=lambda kv: -len(kv[1]))[:top]:
        shown = ", ".join(sorted(months)[:6]) + (" …" if len(months) > 6 else "")
        out.append(
            f"{stype} falsehoods with no same-period {stype} transcripts ({shown}): ingest transcripts of those months"
        )
    lopsided = [
        (o, c) for o, c in (report.get("by_source") or {}).items() if sum(c.values()) >= 20 and min(c.values()) == 0
    ]
    for o, c in sorted(lopsided, key=lambda kv: -sum(kv[1].values()))[:top]:
        only = next(k for k, n in c.items() if n)
        out.append(f"origin {o} holds only {only} ({c[only]}): statements of the other class published there")
    return out
