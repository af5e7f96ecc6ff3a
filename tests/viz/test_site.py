"""``site build`` (Jekyll and --no-jekyll), ``dashboards`` and ``site serve`` through the CLI, with exit codes and errors."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import httpx
import pytest

from deep_classiflie.cli.main import main
from deep_classiflie.viz.site import MARKER, make_server
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from tests.viz.store import XSS, build_store

PAGES = [
    "current-predictions.html",
    "index.html",
    "model-card.html",
    "performance-explorer.html",
    "prediction-explorer.html",
]


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A scored SQLite store reached through DC_DB_URL; returns the common CLI prefix."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    build_store(engine)
    engine.dispose()
    monkeypatch.setenv("DC_DB_URL", url)
    monkeypatch.chdir(tmp_path)
    return ["--set", f"paths.data_dir={tmp_path / 'dc'}"]


def _check_site(out: Path) -> None:
    assert sorted(p.name for p in out.glob("*.html")) == PAGES
    assert (out / MARKER).is_file() and (out / "assets" / "site.css").is_file()
    for name in PAGES:
        page = (out / name).read_text()
        assert "dc:fragment" not in page  # every marker filled
        assert re.findall(r'src="([^"]+)"', page) == (
            ["static/js/bokeh.min.js", "static/js/bokeh-widgets.min.js", "static/js/bokeh-tables.min.js"]
            if "explorer" in name or "current" in name
            else []
        )
        assert XSS not in page and "<script>window.__xss" not in page
    # Liquid in a statement reached no template engine: the tag text is still in the page's data.
    assert "{% include nothing.html %}" in (out / "prediction-explorer.html").read_text()
    card = (out / "model-card.html").read_text()
    assert "Model card" in card and "<table>" in card
    index = (out / "index.html").read_text()
    assert "A score is not a fact-check" in index and "<strong>m2</strong>" in index
    for name in ("prediction", "performance", "current"):
        assert 'src="../static/js/bokeh.min.js"' in (out / "dashboards" / f"{name}.html").read_text()


def test_site_build_without_jekyll(cli_store: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    assert main([*cli_store, "site", "build", "--out", str(out), "--no-jekyll"]) == 0, capsys.readouterr().err
    assert "plain HTML" in capsys.readouterr().out
    _check_site(out)
    # A rebuild replaces a folder this command built ...
    assert main([*cli_store, "site", "build", "--out", str(out), "--no-jekyll"]) == 0, capsys.readouterr().err
    # ... but never one it did not build.
    other = tmp_path / "precious"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    assert main([*cli_store, "site", "build", "--out", str(other), "--no-jekyll"]) == 2
    assert "is not a site built by" in capsys.readouterr().err
    assert (other / "keep.txt").read_text() == "mine"


@pytest.mark.skipif(shutil.which("jekyll") is None, reason="jekyll is not installed (.ci/run installs it)")
def test_site_build_with_jekyll_gives_the_same_pages(
    cli_store: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli_store, "site", "build", "--out", str(tmp_path / "jekyll")]) == 0, capsys.readouterr().err
    assert main([*cli_store, "site", "build", "--out", str(tmp_path / "plain"), "--no-jekyll"]) == 0, (
        capsys.readouterr().err
    )
    _check_site(tmp_path / "jekyll")
    strip = lambda p: re.sub(r"Built .*? UTC|id=\"[^\"]+\"|\"[0-9a-f-]{36}\"|p\d{4,}", "", p.read_text()).strip()  # noqa: E731
    for name in PAGES:
        if name in ("index.html", "model-card.html"):
            assert strip(tmp_path / "jekyll" / name) == strip(tmp_path / "plain" / name)


def test_dashboards_command_and_errors(
    cli_store: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dash"
    assert main([*cli_store, "dashboards", "--out", str(out)]) == 0, capsys.readouterr().err
    assert "wrote 3 explorers of model m2" in capsys.readouterr().out
    assert sorted(p.name for p in out.glob("*.html")) == [
        "current.div.html",
        "current.html",
        "current.script.html",
        "performance.div.html",
        "performance.html",
        "performance.script.html",
        "prediction.div.html",
        "prediction.html",
        "prediction.script.html",
    ]
    assert main([*cli_store, "dashboards", "--out", str(out), "--model", "nope"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ") and "nope" in err[0]


def test_unevaluated_model_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("DC_DB_URL", url)
    assert main(["site", "build", "--out", str(tmp_path / "s"), "--no-jekyll"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ") and "model" in err[0]
    assert not (tmp_path / "s").exists()


def test_site_serve_binds_loopback_and_serves_the_build(
    cli_store: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    assert main([*cli_store, "site", "build", "--out", str(out), "--no-jekyll"]) == 0, capsys.readouterr().err
    server = make_server(out, 0)
    assert server.server_address[0] == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        with httpx.Client(timeout=5) as client:
            assert "Deep Classiflie" in client.get(f"{base}/index.html").text
            assert client.get(f"{base}/static/js/bokeh.min.js").status_code == 200
            assert client.get(f"{base}/nothing-here.html").status_code == 404
    finally:
        server.shutdown()
        server.server_close()
    from deep_classiflie.core.errors import DataSourceError

    with pytest.raises(DataSourceError, match="no built site"):
        make_server(tmp_path / "nowhere", 0)
