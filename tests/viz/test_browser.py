"""The built site in a real headless Chromium (Playwright), served from 127.0.0.1 with every other host unresolvable.

Per page: no console errors, no request leaves 127.0.0.1, a screenshot is saved as a test artefact
(``$DC_TEST_ARTIFACTS`` or ``test-artifacts/viz``). Explorer pages: the canvases are drawn (not blank),
a filter changes the table's row count, selecting a row fills the detail panel, and the injected
statement ``<script>…<img onerror>`` shows as literal text while ``window.__xss`` stays undefined.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from deep_classiflie.config import Config
from deep_classiflie.viz.site import build_site
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from tests.conftest import IN_CI, ROOT
from tests.viz.store import XSS, Store, build_store

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
ARTIFACTS = Path(os.environ.get("DC_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "viz"

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None  # type: ignore[assignment]


def _need_browser() -> None:
    missing = "playwright is not installed" if sync_playwright is None else None
    missing = missing or (None if CHROMIUM.exists() else f"{CHROMIUM} is missing (apt-get install -y chromium)")
    if missing:
        if IN_CI:
            pytest.fail(f"browser tests cannot run in CI: {missing}")
        pytest.skip(missing)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Store]]:
    """The site built (with Jekyll when installed) from a small scored store, served on 127.0.0.1."""
    _need_browser()
    tmp = tmp_path_factory.mktemp("viz_browser")
    engine = make_engine(f"sqlite:///{tmp / 'store.sqlite'}")
    migrate.upgrade(engine)
    store = build_store(engine)
    cfg = Config.model_validate({"paths": {"data_dir": str(tmp / "dc")}, "viz": {"samples_per_bucket": 3}})
    out = tmp / "site"
    build_site(engine, cfg, out, jekyll=shutil.which("jekyll") is not None)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", out, store
    finally:
        server.shutdown()
        server.server_close()
        engine.dispose()


@pytest.fixture(scope="module")
def browser(site: tuple[str, Path, Store]) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Visit:
    """One page load with its console errors and every requested URL recorded."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1500, "height": 1100})
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)

    def model_length(self, name: str) -> int:
        return int(self.page.evaluate(f"() => Bokeh.documents[0].get_model_by_name('{name}').get_length()"))

    def wait_length(self, name: str, n: int) -> None:
        self.page.wait_for_function(f"() => Bokeh.documents[0].get_model_by_name('{name}').get_length() === {n}")

    def finish(self, shot: str) -> None:
        """Screenshot, then the checks every page must pass."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        hosts = {urlsplit(u).hostname for u in self.requests if not u.startswith(("data:", "blob:", "file:"))}
        assert hosts <= {"127.0.0.1"}, hosts
        assert self.errors == []
        assert self.page.evaluate("typeof window.__xss") == "undefined"
        assert self.page.locator("img").count() == 0  # the payload's <img onerror> never became an element
        self.page.close()


def _not_blank(png: bytes) -> int:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("L")
    return sum(img.histogram()[:240])  # pixels darker than near-white


def test_index_and_model_card(site: tuple[str, Path, Store], browser: Browser) -> None:
    base, _, _ = site
    v = Visit(browser, f"{base}/index.html")
    assert v.page.get_by_text("A score is not a fact-check").count() == 1
    v.page.get_by_role("link", name="Model card").first.click()
    v.page.wait_for_url("**/model-card.html")
    assert v.page.locator("table").count() >= 1
    v.finish("model-card.png")
    Visit(browser, f"{base}/index.html").finish("index.png")


def test_prediction_explorer(site: tuple[str, Path, Store], browser: Browser) -> None:
    base, out, store = site
    facts = json.loads((out / "dashboards" / "dashboards.json").read_text())
    v = Visit(browser, f"{base}/prediction-explorer.html")
    v.page.locator(".slick-row").first.wait_for()
    assert v.model_length("full") == facts["n_scored"] and v.model_length("shown") == facts["n_sampled"]
    # Filter: switching off "TP" removes exactly the sampled TP rows.
    n_tp = int(
        v.page.evaluate(
            "() => { const d = Bokeh.documents[0].get_model_by_name('shown').data; return d.confusion.filter((c) => c === 'TP').length }"
        )
    )
    assert n_tp > 0
    v.page.get_by_role("button", name="TP", exact=True).click()
    v.wait_length("shown", facts["n_sampled"] - n_tp)
    v.page.get_by_role("button", name="TP", exact=True).click()
    v.wait_length("shown", facts["n_sampled"])
    # Search all, then the payload: literal text in the cell and in the detail panel.
    v.page.locator("select[name=view]").select_option(label="search all")
    v.wait_length("shown", facts["n_scored"])
    assert v.page.locator(".slick-row").count() > 0
    # Sortable: one click on a header puts the smallest P(false) first.
    lowest = v.page.evaluate(
        "() => Math.min(...Bokeh.documents[0].get_model_by_name('shown').data.probability).toFixed(3)"
    )
    v.page.locator(".slick-header-column").filter(has_text="P(false)").click()
    first = v.page.locator(".slick-row").first.locator(".slick-cell").nth(3)
    assert first.inner_text() == lowest
    v.page.get_by_placeholder("search all statements").fill("window.__xss")
    v.page.get_by_placeholder("search all statements").press("Enter")
    v.wait_length("shown", 1)
    cell = v.page.locator(".slick-row .slick-cell").filter(has_text="window.__xss").first
    assert cell.inner_text() == XSS
    cell.click()
    detail = v.page.get_by_text("word attributions: red pushed", exact=False)
    detail.first.wait_for()
    assert v.page.locator("p.dc-statement").inner_text() == XSS  # the statement, as text
    assert v.page.get_by_text("<b>bold</b>", exact=True).count() == 1  # an attribution word, as text
    assert v.page.get_by_text(f"Statement {store.ids[5]}", exact=False).count() == 1
    v.finish("prediction-explorer.png")


def test_performance_explorer(site: tuple[str, Path, Store], browser: Browser) -> None:
    base, _, _ = site
    v = Visit(browser, f"{base}/performance-explorer.html")
    v.page.locator("canvas").first.wait_for()
    assert v.page.locator("canvas").count() >= 4
    dark = _not_blank(v.page.locator("canvas >> visible=true").first.screenshot())
    assert dark > 2000, dark
    v.page.get_by_text("tweets", exact=True).click()
    v.page.wait_for_timeout(300)
    dark_tweets = _not_blank(v.page.locator("canvas >> visible=true").first.screenshot())
    assert dark_tweets > 2000
    v.finish("performance-explorer.png")


def test_current_predictions(site: tuple[str, Path, Store], browser: Browser) -> None:
    base, out, _ = site
    facts = json.loads((out / "dashboards" / "dashboards.json").read_text())
    v = Visit(browser, f"{base}/current-predictions.html")
    v.page.locator(".slick-row").first.wait_for()
    assert v.model_length("shown") == facts["n_current"]
    v.page.locator("select[name=type]").select_option("tweet")
    n_tweets = int(
        v.page.evaluate(
            "() => Bokeh.documents[0].get_model_by_name('full').data.type.filter((t) => t === 'tweet').length"
        )
    )
    v.wait_length("shown", n_tweets)
    assert 0 < n_tweets < facts["n_current"]
    v.page.locator("select[name=type]").select_option("all")
    search = v.page.locator("input[type=text]").first
    search.fill("statement 1 says")
    search.press("Enter")
    v.wait_length("shown", 1)
    link = v.page.locator(".slick-row a")
    assert link.count() == 1 and link.get_attribute("href") == "https://example.org/s1"
    search.fill("statement 2 says")  # its stored URL is javascript:…: no link at all
    search.press("Enter")
    v.page.locator(".slick-row").filter(has_text="statement 2 says").first.wait_for()
    assert v.page.locator(".slick-row a").count() == 0
    v.finish("current-predictions.png")


def test_standalone_page_works_from_file_url(site: tuple[str, Path, Store], browser: Browser) -> None:
    _, out, _ = site
    v = Visit(browser, (out / "dashboards" / "prediction.html").as_uri())
    v.page.locator(".slick-row").first.wait_for()
    v.finish("standalone-prediction-file-url.png")
