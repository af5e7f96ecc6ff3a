"""A disk cache of frozen-encoder features: only texts never seen by this encoder are encoded.

Layout: ``cache_dir/<fingerprint>-<pooling>-<max_length>/shard-XXXXX.safetensors``, each shard holding
``text_sha256`` (uint8 ``[n, 32]``) and ``features`` (float32 ``[n, hidden]``). New texts go to a new shard,
so a cache is only ever appended to and a crash leaves whole shards behind.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from deep_classiflie.model.encoder import Encoder, embed_texts


def text_digest(text: str) -> bytes:
    """sha256 of the exact text (the encoder sees the raw text, so no normalisation here)."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def cache_folder(encoder: Encoder, *, cache_dir: Path, max_length: int, pooling: str) -> Path:
    """The cache folder of one (encoder weights, pooling, max_length) combination."""
    return Path(cache_dir) / f"{encoder.fingerprint()}-{pooling}-{max_length}"


def _read_cache(folder: Path) -> dict[bytes, np.ndarray]:
    rows: dict[bytes, np.ndarray] = {}
    for shard in sorted(folder.glob("shard-*.safetensors")):
        data = load_file(str(shard))
        for digest, vec in zip(data["text_sha256"], data["features"], strict=True):
            rows[digest.tobytes()] = vec
    return rows


def cached_features(
    encoder: Encoder,
    texts: list[str],
    *,
    cache_dir: Path,
    max_length: int,
    batch_size: int,
    pooling: str,
) -> np.ndarray:
    """Pooled encoder features ``[len(texts), hidden]`` (float32), from the cache where possible.

    1. Read every shard of this encoder's cache folder into ``digest → vector``.
    2. Encode the texts whose digest is missing (each distinct text once) and append them as a new shard.
    3. Assemble the result in the order of ``texts``.
    """
    folder = cache_folder(encoder, cache_dir=cache_dir, max_length=max_length, pooling=pooling)
    folder.mkdir(parents=True, exist_ok=True)
    rows = _read_cache(folder)
    digests = [text_digest(t) for t in texts]
    new: dict[bytes, str] = {}
    for digest, text in zip(digests, texts, strict=True):
        if digest not in rows:
            new.setdefault(digest, text)
    if new:
        feats = embed_texts(
            encoder,
            list(new.values()),
            max_length=max_length,
            batch_size=batch_size,
            pooling=pooling,
            description="encoding new texts",
        )
        keys = np.frombuffer(b"".join(new), dtype=np.uint8).reshape(len(new), 32)
        shard = folder / f"shard-{len(list(folder.glob('shard-*.safetensors'))):05d}.safetensors"
        tmp = shard.with_suffix(".tmp")
        save_file({"text_sha256": keys, "features": feats}, str(tmp))
        os.replace(tmp, shard)  # atomic: readers never see half a shard
        rows.update(zip(new, feats, strict=True))
    dim = encoder.hidden_size
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    return np.stack([rows[d] for d in digests]).astype(np.float32, copy=False)
