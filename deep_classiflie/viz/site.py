"""``site build`` and ``site serve``: the Jekyll site (sources in ``viz/site/``) with the explorers in it.

Build steps: 1) build the dashboards from the store; 2) copy the site sources to a work folder; 3) run
Jekyll on it (or, with ``jekyll=False``, render the same layout with Jinja2); 4) fill each page's
``<!-- dc:fragment NAME -->`` marker with the explorer components, the model card and the summary;
5) copy BokehJS and write the standalone dashboards. Store text reaches the pages only in step 4, so
Liquid never parses a statement (a ``{% ... %}`` in a tweet cannot break or steer the build).
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.core.errors import ConfigError, DataSourceError
from deep_classiflie.viz.build import (
    Dashboards,
    atomic_write,
    build_dashboards,
    copy_bokehjs,
    fragments,
    write_dashboards,
)

SITE_SOURCES = Path(__file__).parent / "site"
TEMPLATES = Path(__file__).parent / "templates"
MARKER = ".deep-classiflie-site"  # marks a folder this command built, so a rebuild may replace it
_FRAGMENT = re.compile(r"<!-- dc:fragment ([a-z_]+) -->")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


@dataclass(frozen=True)
class SiteResult:
    """What a build wrote."""

    out_dir: Path
    pages: list[Path]
    used_jekyll: bool
    facts: dict[str, Any]


def check_out_dir(out: Path) -> None:
    """Refuse to build into a non-empty folder this command did not build (Jekyll empties its destination)."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise ConfigError(
            f"{out} exists and is not a site built by `deep-classiflie site build`",
            hint="pass --out with a new or empty folder (the build replaces the folder's contents)",
        )


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def summary_html(dash: Dashboards, split: str) -> str:
    """The index page's summary of this build (Jinja2, autoescaped)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    metrics = dash.facts["metrics"]
    rows = [
        {
            "scope": label,
            **{k: _fmt(metrics[s].get(k)) for k in ("auc", "mcc", "accuracy")},
            "n": _fmt(metrics[s].get("n")),
        }
        for s, label in (("all", "all"), ("non_tweet", "non-tweets"), ("tweet", "tweets"))
        if s in metrics
    ]
    for r in rows:  # n is a count
        r["n"] = r["n"].split(".")[0]
    return env.get_template("summary.html.j2").render(
        model_name=dash.model["name"],
        model_kind=dash.model.get("kind", "?"),
        task=dash.model.get("task", "?"),
        split=split,
        rows=rows,
        built_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        **{k: dash.facts[k] for k in ("n_scored", "n_explained", "n_current", "current_origin")},
    )


def model_card_html(engine: Engine, model_id: int, split: str) -> str:
    """The evaluate stage's model card, Markdown to HTML with raw HTML disabled (store text stays text)."""
    from deep_classiflie.evaluate.card import build_card

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    return md.render(build_card(engine, model_id, split=split))


def run_jekyll(src: Path, out: Path, timeout_s: float = 300) -> None:
    """``jekyll build`` of ``src`` into ``out``; a clear error when Jekyll is missing or fails."""
    exe = shutil.which("jekyll")
    if exe is None:
        raise DataSourceError(
            "jekyll is not installed",
            hint="install it (`apt-get install -y --no-install-recommends jekyll`) or build with --no-jekyll",
        )
    cmd = [exe, "build", "--safe", "--quiet", "--disable-disk-cache", "--source", str(src), "--destination", str(out)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise DataSourceError(
            f"jekyll build timed out after {timeout_s:.0f} s", hint="retry with --no-jekyll"
        ) from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise DataSourceError(f"jekyll build failed: {' / '.join(tail)}", hint="retry with --no-jekyll to skip Jekyll")


def render_static(src: Path, out: Path) -> None:
    """The same pages without Ruby: front-matter pages through their layout (Jinja2, autoescape), the rest copied.

    The layout uses only what Liquid and Jinja2 share (``{{ page.x | escape }}``, ``{% if %}``, ``{{ content }}``).
    """
    site = yaml.safe_load((src / "_config.yml").read_text(encoding="utf-8")) or {}
    env = Environment(loader=FileSystemLoader(src / "_layouts"), autoescape=True)
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_dir() or any(part.startswith(("_", ".")) for part in rel.parts):
            continue
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_text(encoding="utf-8") if path.suffix in (".html", ".md") else None
        front = _FRONT.match(text) if text is not None else None
        if text is None or front is None:
            shutil.copyfile(path, dest)
            continue
        page = yaml.safe_load(front.group(1)) or {}
        layout = env.get_template(f"{page.get('layout', 'default')}.html")
        atomic_write(dest, layout.render(page=page, site=site, content=Markup(text[front.end() :])))


def fill_fragments(out: Path, parts: Mapping[str, str]) -> list[Path]:
    """Replace every ``<!-- dc:fragment NAME -->`` in the built HTML pages; an unknown NAME is an error."""
    pages = []
    for page in sorted(out.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        missing = [m for m in _FRAGMENT.findall(text) if m not in parts]
        if missing:
            raise DataSourceError(f"{page.name} asks for unknown fragment(s) {missing}", hint=f"known: {sorted(parts)}")
        atomic_write(page, _FRAGMENT.sub(lambda m: parts[m.group(1)], text))
        pages.append(page)
    return pages


def build_site(
    engine: Engine, config: Config, out: Path, *, jekyll: bool = True, model_ref: str | int | None = None
) -> SiteResult:
    """Build the whole site into ``out`` (see the module docstring for the steps)."""
    check_out_dir(out)
    # 1) dashboards from the store (before touching ``out``: a store error leaves an old site intact)
    dash = build_dashboards(engine, config, model_ref=model_ref)
    parts = {
        **fragments(dash),
        "model_card": model_card_html(engine, int(dash.model["id"]), config.viz.split),
        "summary": summary_html(dash, config.viz.split),
    }
    with tempfile.TemporaryDirectory(prefix="dc-site-") as tmp:
        # 2) the sources, copied so Jekyll's caches and our edits never land in the package
        src = Path(tmp) / "src"
        shutil.copytree(SITE_SOURCES, src)
        # 3) Jekyll, or the same layout through Jinja2
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        if jekyll:
            run_jekyll(src, out)
        else:
            render_static(src, out)
    # 4) the store's content, 5) BokehJS and the standalone explorers
    pages = fill_fragments(out, parts)
    copy_bokehjs(out)
    write_dashboards(dash, out / "dashboards", site_root=out)
    (out / MARKER).write_text("built by deep-classiflie site build\n", encoding="utf-8")
    return SiteResult(out_dir=out, pages=pages, used_jekyll=jekyll, facts=dash.facts)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # one line per request is noise for a quick look
        pass


def make_server(site_dir: Path, port: int = 4000) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``site_dir`` bound to 127.0.0.1 only (port 0 picks a free one)."""
    if not (site_dir / "index.html").is_file():
        raise DataSourceError(
            f"no built site in {site_dir} (index.html missing)", hint="run `deep-classiflie site build` first"
        )
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror}", hint="pick another port with --port"
        ) from None
