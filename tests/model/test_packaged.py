"""Packaged encoders: a model folder joined from the pieces of a split zip, checked, extracted once."""

from __future__ import annotations

import hashlib
import io
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from deep_classiflie.core.errors import ModelError
from deep_classiflie.model import packaged
from deep_classiflie.model.encoder import resolve_encoder_path
from deep_classiflie.model.packaged import MPNET, SplitZip, assemble, packaged_path, part_files


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _pieces(tmp_path: Path, blob: bytes, n: int = 3) -> list[Path]:
    size = -(-len(blob) // n)
    paths = []
    for i in range(n):
        path = tmp_path / f"model.zip.{i + 1:03d}"
        path.write_bytes(blob[i * size : (i + 1) * size])
        paths.append(path)
    return paths


ENTRIES = {
    "enc/config.json": b'{"hidden_size": 8}',
    "enc/vocab.txt": b"a\nb\n",
    "enc/desktop.ini": b"x",
    "other.txt": b"y",
}


def test_assemble_joins_checks_and_extracts_only_the_model_folder(tmp_path: Path) -> None:
    blob = _zip(ENTRIES)
    dest = tmp_path / "cache" / "enc-abc"
    out = assemble(_pieces(tmp_path, blob), sha256=hashlib.sha256(blob).hexdigest(), folder="enc", dest=dest)
    assert out == dest
    assert sorted(p.name for p in dest.iterdir()) == ["config.json", "vocab.txt"]  # no desktop.ini, no other.txt
    assert (dest / "vocab.txt").read_bytes() == b"a\nb\n"
    assert [p.name for p in dest.parent.iterdir()] == ["enc-abc"]  # the temporary folder is gone


def test_assemble_reuses_a_finished_folder(tmp_path: Path) -> None:
    blob = _zip(ENTRIES)
    dest = tmp_path / "enc-abc"
    pieces = _pieces(tmp_path, blob)
    assemble(pieces, sha256=hashlib.sha256(blob).hexdigest(), folder="enc", dest=dest)
    (dest / "vocab.txt").write_bytes(b"kept")
    for piece in pieces:
        piece.unlink()  # a second call must not need the pieces at all
    assemble(pieces, sha256="0" * 64, folder="enc", dest=dest)
    assert (dest / "vocab.txt").read_bytes() == b"kept"


def test_assemble_refuses_pieces_in_the_wrong_order(tmp_path: Path) -> None:
    blob = _zip(ENTRIES)
    pieces = _pieces(tmp_path, blob)
    dest = tmp_path / "cache" / "enc-abc"
    with pytest.raises(ModelError, match="sha256") as err:
        assemble(pieces[::-1], sha256=hashlib.sha256(blob).hexdigest(), folder="enc", dest=dest)
    assert "reinstall" in (err.value.hint or "")
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_assemble_refuses_unsafe_paths_and_a_missing_model_folder(tmp_path: Path) -> None:
    evil = _zip({"enc/config.json": b"{}", "enc/../../escape.txt": b"x"})
    with pytest.raises(ModelError, match="unsafe path"):
        assemble(_pieces(tmp_path, evil), sha256=hashlib.sha256(evil).hexdigest(), folder="enc", dest=tmp_path / "d")
    assert not (tmp_path.parent / "escape.txt").exists()
    other = _zip({"enc/vocab.txt": b"a"})
    with pytest.raises(ModelError, match=r"no enc/config\.json"):
        assemble(_pieces(tmp_path, other), sha256=hashlib.sha256(other).hexdigest(), folder="enc", dest=tmp_path / "e")
    assert not (tmp_path / "e").exists()


def test_a_missing_piece_names_the_extra_to_install() -> None:
    spec = SplitZip(
        dists=("deep-classiflie-no-such-piece-001",),
        member="input/x.zip.{i:03d}",
        sha256="0" * 64,
        folder="x",
        extra="mpnet",
    )
    with pytest.raises(ModelError, match="deep-classiflie-no-such-piece-001") as err:
        part_files(spec)
    assert "deep-classiflie[mpnet]" in (err.value.hint or "")


def test_encoder_path_takes_a_packaged_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = []

    def fake(name: str) -> Path:
        calls.append(name)
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        (folder / "config.json").write_text("{}")
        return folder

    monkeypatch.chdir(tmp_path)  # no folder named like the encoder here
    monkeypatch.setattr("deep_classiflie.model.encoder.packaged_path", fake)
    assert resolve_encoder_path("all-mpnet-base-v2") == tmp_path / "all-mpnet-base-v2"
    assert calls == ["all-mpnet-base-v2"]
    with pytest.raises(ModelError, match="unknown packaged encoder"):
        packaged_path("no-such-encoder")
    assert packaged_path("all-MiniLM-L6-v2") == packaged.minilm_path()


def test_encoder_cache_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DC_ENCODER_CACHE", str(tmp_path / "enc"))
    assert packaged.encoder_cache() == tmp_path / "enc"
    monkeypatch.delenv("DC_ENCODER_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert packaged.encoder_cache() == tmp_path / "xdg" / "deep-classiflie" / "encoders"


def _mpnet_installed() -> bool:
    try:
        return all(metadata.distribution(d) for d in MPNET.dists)
    except metadata.PackageNotFoundError:
        return False


@pytest.mark.skipif(not _mpnet_installed(), reason="the [mpnet] extra is not installed")
def test_the_real_mpnet_pieces_assemble_into_a_loadable_encoder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from deep_classiflie.model.encoder import load_encoder

    monkeypatch.setenv("DC_ENCODER_CACHE", str(tmp_path))
    encoder = load_encoder("all-mpnet-base-v2")
    assert encoder.hidden_size == 768
    assert hashlib.sha256((encoder.path / "model.safetensors").read_bytes()).hexdigest().startswith("78c0197b")
