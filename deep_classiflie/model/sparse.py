"""The non-text feature block a hybrid head reads: TF-IDF of the statement and one-hot metadata.

Fitted on the training split only; saved in the model folder as JSON (settings, vocabulary, metadata
columns) plus ``extra_features.safetensors`` (the idf vector), never pickled, so a loaded model computes
exactly the features it was trained on. The block is ``[tfidf | meta]`` (either part may be absent).

Metadata columns are the dataset snapshot's ``meta_names``: ``key=value`` one-hots (``key=<other>`` for
anything else) and ``<credit_key>.<i>`` counts stored as ``log1p``; at prediction time they are rebuilt
from one dict per statement (``{"party": "democrat", …}``), as the dataset stage encodes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from safetensors.numpy import load_file, save_file

from deep_classiflie.core.errors import ModelError

EXTRA_CONFIG_FILE = "extra_features.json"
EXTRA_TENSORS_FILE = "extra_features.safetensors"
OTHER = "<other>"


@dataclass(frozen=True)
class TfidfSettings:
    """What the vectorizer was built with (recorded so the features can be rebuilt)."""

    ngram_max: int = 2
    min_df: int = 2
    max_features: int | None = 50_000
    sublinear_tf: bool = True

    def vectorizer(self, vocabulary: Mapping[str, int] | None = None) -> Any:
        """A scikit-learn ``TfidfVectorizer`` with these settings (and a fixed vocabulary when given)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            ngram_range=(1, self.ngram_max),
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            vocabulary=dict(vocabulary) if vocabulary is not None else None,
            dtype=np.float32,
        )


class ExtraFeatures:
    """TF-IDF (optional) and metadata columns (optional): texts + meta dicts → ``[n, dim]`` float32 CSR."""

    def __init__(
        self,
        *,
        settings: TfidfSettings | None,
        vocabulary: Mapping[str, int] | None,
        idf: np.ndarray | None,
        meta_names: Sequence[str] = (),
    ) -> None:
        self.settings = settings
        self.vocabulary = dict(vocabulary or {})
        self.idf = None if idf is None else np.asarray(idf, dtype=np.float32)
        self.meta_names = tuple(meta_names)
        self._vectorizer: Any = None

    @property
    def tfidf_dim(self) -> int:
        return len(self.vocabulary) if self.settings is not None else 0

    @property
    def dim(self) -> int:
        return self.tfidf_dim + len(self.meta_names)

    def _tfidf(self, texts: Sequence[str]) -> sp.csr_matrix:
        if self.settings is None:
            return sp.csr_matrix((len(texts), 0), dtype=np.float32)
        if self._vectorizer is None:
            vec = self.settings.vectorizer(self.vocabulary)
            vec.idf_ = self.idf  # fixed vocabulary + stored idf: no refit, same features as in training
            self._vectorizer = vec
        return sp.csr_matrix(self._vectorizer.transform(list(texts)), dtype=np.float32)

    def transform(
        self, texts: Sequence[str], meta: Sequence[Mapping[str, Any]] | None = None, *, meta_block: Any = None
    ) -> sp.csr_matrix:
        """The block for ``texts``: TF-IDF, then the metadata columns from ``meta`` dicts (or a ready
        ``meta_block`` array, as a dataset snapshot stores it). Missing metadata reads as ``<other>``/0."""
        parts = [self._tfidf(texts)]
        if self.meta_names:
            if meta_block is None:
                meta_block = encode_meta(meta or [{}] * len(texts), self.meta_names)
            block = np.asarray(meta_block, dtype=np.float32)
            if block.shape != (len(texts), len(self.meta_names)):
                raise ModelError(
                    f"metadata block of shape {block.shape} for {len(texts)} texts and {len(self.meta_names)} columns",
                    hint="pass the split's meta array built with the same meta_names",
                )
            parts.append(sp.csr_matrix(block))
        return sp.csr_matrix(sp.hstack(parts, format="csr"), dtype=np.float32)

    # -- the model folder ---------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write ``extra_features.json`` and ``extra_features.safetensors`` into ``folder``."""
        config = {
            "format": 1,
            "tfidf": None if self.settings is None else vars(self.settings),
            "vocabulary": self.vocabulary,
            "meta_names": list(self.meta_names),
        }
        (folder / EXTRA_CONFIG_FILE).write_text(json.dumps(config, ensure_ascii=False) + "\n", encoding="utf-8")
        idf = self.idf if self.idf is not None else np.zeros(0, dtype=np.float32)
        save_file({"idf": np.ascontiguousarray(idf, dtype=np.float32)}, str(folder / EXTRA_TENSORS_FILE))

    @classmethod
    def load(cls, folder: Path) -> ExtraFeatures | None:
        """The featurizer stored in a model folder; ``None`` for folders without one (older models)."""
        path = folder / EXTRA_CONFIG_FILE
        if not path.is_file():
            return None
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
            settings = TfidfSettings(**config["tfidf"]) if config.get("tfidf") else None
            idf = load_file(str(folder / EXTRA_TENSORS_FILE))["idf"] if settings else None
            out = cls(settings=settings, vocabulary=config.get("vocabulary"), idf=idf, meta_names=config["meta_names"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot read the extra features of {folder}: {exc}", hint="re-train the model") from exc
        if settings is not None and (out.idf is None or len(out.idf) != len(out.vocabulary)):
            raise ModelError(f"{folder} has an idf that does not fit its vocabulary", hint="re-train the model")
        return out


def fit_extra_features(
    texts: Sequence[str], *, tfidf: TfidfSettings | None, meta_names: Sequence[str] = ()
) -> ExtraFeatures:
    """Fit the TF-IDF vocabulary and idf on the training texts (``tfidf=None``: metadata only)."""
    if tfidf is None:
        return ExtraFeatures(settings=None, vocabulary=None, idf=None, meta_names=meta_names)
    vec = tfidf.vectorizer()
    try:
        vec.fit(list(texts))
    except ValueError as exc:  # e.g. every word below min_df
        raise ModelError(
            f"cannot fit TF-IDF on {len(texts)} training texts: {exc}",
            hint="lower train.hybrid.tfidf.min_df or leave tfidf out of the head's features",
        ) from exc
    vocab = {str(k): int(v) for k, v in vec.vocabulary_.items()}
    return ExtraFeatures(settings=tfidf, vocabulary=vocab, idf=vec.idf_, meta_names=meta_names)


def _meta_value(meta: Mapping[str, Any], key: str) -> str:
    return str(meta.get(key, "")).strip().lower()  # exactly as dataset.pipeline.meta_features reads it


def encode_meta(meta: Sequence[Mapping[str, Any]], names: Sequence[str]) -> np.ndarray:
    """``[n, len(names)]`` float32: one-hots ``key=value`` (``key=<other>`` when the value is not listed)
    and credit counts ``key.i`` as ``log1p``, the encoding of ``dataset.pipeline.meta_features``."""
    onehot: dict[str, list[str]] = {}
    for name in names:
        if "=" in name:
            key, value = name.split("=", 1)
            onehot.setdefault(key, []).append(value)
    out = np.zeros((len(meta), len(names)), dtype=np.float32)
    for j, name in enumerate(names):
        for i, m in enumerate(meta):
            if "=" in name:
                key, value = name.split("=", 1)
                v = _meta_value(m, key)
                out[i, j] = float(v == value if value != OTHER else v not in onehot[key])
            else:
                key, _, index = name.rpartition(".")
                out[i, j] = _count(m.get(key), index)
    return out


def _count(raw: Any, index: str) -> float:
    """``log1p`` of entry ``index`` of a credit-history dict or list; 0 when absent."""
    value = None
    if isinstance(raw, Mapping):
        value = raw.get(index)
    elif isinstance(raw, list | tuple) and index.isdigit() and int(index) < len(raw):
        value = raw[int(index)]
    return float(np.log1p(float(value))) if value is not None else 0.0


def decode_meta(block: np.ndarray | None, names: Sequence[str]) -> list[dict[str, Any]]:
    """Meta dicts from a snapshot's metadata block (inverse of :func:`encode_meta` up to ``<other>``)."""
    if block is None:
        return []
    out: list[dict[str, Any]] = []
    for row in np.asarray(block):
        meta: dict[str, Any] = {}
        for name, x in zip(names, row, strict=True):
            if "=" in name:
                key, value = name.split("=", 1)
                if x > 0.5 and value != OTHER:
                    meta[key] = value
            else:
                key, _, index = name.rpartition(".")
                meta.setdefault(key, {})[index] = float(np.expm1(x))
        out.append(meta)
    return out
