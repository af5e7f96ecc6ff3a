"""Snapshots on disk: ``<data_dir>/datasets/<content_hash>/`` with ``manifest.json`` and one ``.npz`` per split.

No pickles: texts are stored as UTF-8 bytes plus offsets, dates as ``datetime64[s]``; loading uses
``allow_pickle=False``. The content hash covers the resolved config and every member (id, split,
label, copies, weight, text hash, date, type), so the same store and config give the same hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from deep_classiflie.core.errors import DatasetError
from deep_classiflie.dataset.records import Member
from deep_classiflie.dataset.splits import SPLITS
from deep_classiflie.dataset.types import DatasetSplit, type_id

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def canonical_json(value: Any) -> str:
    """Sorted-key, compact JSON: the form that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(config: Mapping[str, Any], members: Sequence[Member]) -> str:
    """sha256 over the config and the members in statement-id order."""
    digest = hashlib.sha256()
    digest.update(canonical_json({"format": FORMAT_VERSION, "config": config}).encode())
    for m in sorted(members, key=lambda m: m.record.statement_id):
        r = m.record
        date = r.date.isoformat() if r.date else None
        row = [r.statement_id, m.split, r.label, m.copies, m.weight, r.text_hash, date, r.statement_type]
        digest.update(canonical_json(row).encode())
    return digest.hexdigest()


def _dates(values: Sequence[dt.datetime | None]) -> np.ndarray:
    return np.array([np.datetime64(v, "s") if v is not None else np.datetime64("NaT") for v in values], "datetime64[s]")


def split_arrays(members: Sequence[Member], meta: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The arrays of one split, in statement-id order of ``members`` (already sorted by the caller)."""
    encoded = [m.record.text.encode("utf-8") for m in members]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded])
    arrays: dict[str, np.ndarray] = {
        "statement_ids": np.array([m.record.statement_id for m in members], dtype=np.int64),
        "labels": np.array([m.record.label for m in members], dtype=np.int64),
        "type_ids": np.array([type_id(m.record.statement_type) for m in members], dtype=np.int64),
        "weights": np.array([m.weight for m in members], dtype=np.float32),
        "dates": _dates([m.record.date for m in members]),
        "text_bytes": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "text_offsets": offsets,
    }
    if meta is not None:
        arrays["meta"] = meta.astype(np.float32)
    return arrays


def write_snapshot(
    root: Path,
    manifest: dict[str, Any],
    members: Sequence[Member],
    meta: Mapping[str, np.ndarray] | None = None,
) -> Path:
    """Write the snapshot folder ``root/<content_hash>`` atomically (temp folder, then rename)."""
    target = root / manifest["content_hash"]
    if (target / MANIFEST).is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        files = {}
        for split in SPLITS:
            rows = sorted((m for m in members if m.split == split), key=lambda m: m.record.statement_id)
            np.savez(tmp / f"{split}.npz", allow_pickle=False, **split_arrays(rows, (meta or {}).get(split)))
            files[split] = {"file": f"{split}.npz", "n": len(rows)}
        full = {**manifest, "format": FORMAT_VERSION, "splits": files}
        (tmp / MANIFEST).write_text(json.dumps(full, indent=2, sort_keys=True, default=str), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def read_manifest(snapshot_dir: Path) -> dict[str, Any]:
    """The manifest of a snapshot folder."""
    path = Path(snapshot_dir) / MANIFEST
    if not path.is_file():
        raise DatasetError(
            f"no dataset snapshot at {snapshot_dir} (missing {MANIFEST})",
            hint="run `deep-classiflie build-dataset` to build and materialise it",
        )
    return dict(json.loads(path.read_text(encoding="utf-8")))


def load_splits(snapshot_dir: Path) -> dict[str, DatasetSplit]:
    """Load ``train``, ``val`` and ``test`` from a snapshot folder (no pickles)."""
    manifest = read_manifest(snapshot_dir)
    meta_names = tuple(manifest.get("meta_names", []))
    out = {}
    for split in SPLITS:
        with np.load(Path(snapshot_dir) / manifest["splits"][split]["file"], allow_pickle=False) as z:
            raw, offsets = z["text_bytes"].tobytes(), z["text_offsets"]
            texts = [raw[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(len(offsets) - 1)]
            out[split] = DatasetSplit(
                name=split,
                statement_ids=z["statement_ids"],
                texts=texts,
                labels=z["labels"],
                type_ids=z["type_ids"],
                weights=z["weights"],
                dates=z["dates"],
                meta=z["meta"] if "meta" in z.files else None,
                meta_names=meta_names,
            )
    return out
