"""Build the three explorers from the store and write them as Bokeh components and standalone HTML pages.

The I/O edge of the viz stage: reads the store (and the publisher's feed file), hands rows to the pure
``data`` functions and the Bokeh layouts, and writes files. BokehJS is copied from the installed bokeh
package into the output once and referenced through ``Resources(mode="server", root_url=…)``, so pages
never point into a virtualenv or at a CDN and work from file:// too.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bokeh
from bokeh.embed import components, file_html
from bokeh.models.layouts import LayoutDOM
from bokeh.resources import Resources
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.core.errors import StoreError
from deep_classiflie.evaluate.buckets import BucketStats, BucketTable
from deep_classiflie.model.resolve import resolve_model_version
from deep_classiflie.viz import data as D
from deep_classiflie.viz.current import current_explorer, read_feed, rows_from_feed, rows_from_store
from deep_classiflie.viz.performance import performance_explorer
from deep_classiflie.viz.prediction import prediction_explorer
from deep_classiflie_db.queries import evaluate as qe
from deep_classiflie_db.queries import viz as qv

BOKEH_COMPONENTS = ["bokeh", "bokeh-widgets", "bokeh-tables"]
EXPLORERS = {
    "prediction": "Prediction explorer",
    "performance": "Performance explorer",
    "current": "Current predictions",
}


@dataclass
class Dashboards:
    """The explorers of one model version, with the data they embed (for reports and golden tests)."""

    model: dict[str, Any]
    layouts: dict[str, LayoutDOM]
    facts: dict[str, Any] = field(default_factory=dict)
    components: dict[str, tuple[str, str]] = field(default_factory=dict)


def _clean(value: object) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)  # type: ignore[arg-type]


def global_metrics(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """scope → metric → value of the newest evaluation (statement-type scopes only, not buckets)."""
    out: dict[str, dict[str, float | None]] = {}
    for r in rows:
        if not str(r["scope"]).startswith("bucket:"):
            out.setdefault(str(r["scope"]), {})[str(r["metric"])] = _clean(r["value"])
    return out


def feed_file(config: Config) -> Path:
    """Where the publisher writes its feed."""
    return config.viz.feed_path or config.paths.data_dir / "feed" / "current_predictions.json"


def _current_rows(engine: Engine, config: Config, model: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Rows of the current-predictions table and where they came from (feed file → publications → predictions)."""
    path = feed_file(config)
    feed = read_feed(path)
    if feed is not None:
        return rows_from_feed(feed)[
            : config.viz.current_limit
        ], f"the publisher's feed ({feed.get('generated_at', '?')})"
    tables: dict[int, BucketTable] = {}

    def bucket_for(model_version_id: int, confidence: float, statement_type: str) -> dict[str, Any] | None:
        if model_version_id not in tables:
            rows = qe.bucket_rows(engine, model_version_id=model_version_id, split=config.viz.split)
            tables[model_version_id] = BucketTable(BucketStats.from_row(r) for r in rows)
        table = tables[model_version_id]
        return table.bucket_for(confidence, statement_type).as_row() if len(table) else None

    published = qv.published_predictions(engine, limit=config.viz.current_limit)
    if published:
        return rows_from_store(published, bucket_for), "the publisher's log in the store"
    recent = qv.recent_predictions(engine, model_version_id=int(model["id"]), limit=config.viz.current_limit)
    return rows_from_store(recent, bucket_for), "the stored predictions (nothing published yet)"


def _explanations(engine: Engine, model_id: int, ids: list[int]) -> list[dict[str, Any]]:
    """Stored explanation cards of these statements; none stored (or no explain stage) is a normal state."""
    try:
        from deep_classiflie_db.queries.explain import explanations_for
    except ImportError:  # the explain stage is optional: the detail panel then shows no attributions
        return []
    return explanations_for(engine, model_version_id=model_id, statement_ids=ids)


def build_dashboards(engine: Engine, config: Config, *, model_ref: str | int | None = None) -> Dashboards:
    """The three explorers of one model version (default: the active one) from what the store holds.

    Steps: 1) the model and its scored split; 2) buckets, sample, attributions; 3) weekly and per-bucket
    confusion, reliability, metric history; 4) current predictions; 5) the Bokeh layouts.
    """
    # 1) the model version and its scored split
    model = resolve_model_version(engine, model_ref)
    mid, split = int(model["id"]), config.viz.split
    if model.get("dataset_collection_id") is None:
        raise StoreError(
            f"model version {model['name']!r} has no dataset collection recorded: no {split} split to show",
            hint="train it on a collection built with `deep-classiflie build-dataset`",
        )
    rows = qv.scored_split(engine, model_version_id=mid, collection_id=int(model["dataset_collection_id"]), split=split)
    if not rows:
        raise StoreError(
            f"model version {model['name']!r} has no stored predictions on its {split} split",
            hint=f"run `deep-classiflie evaluate --model {model['name']} --split {split}` first",
        )
    # 2) buckets as stored, the seeded sample of the extreme ones, word attributions
    scored = D.annotate(rows, qe.bucket_rows(engine, model_version_id=mid, split=split))
    groups = D.sample_extremes(scored, config.viz.samples_per_bucket, config.viz.seed)
    words = D.words_by_statement(_explanations(engine, mid, [r["statement_id"] for r in scored.rows]))
    metrics = global_metrics(qe.latest_metrics(engine, model_version_id=mid, split=split))
    # 3) performance views
    weekly = {s: D.weekly_confusion(scored.rows, s) for s in ("all", "non_tweet", "tweet")}
    per_bucket = {s: D.bucket_confusion(scored.rows, s) for s in ("all", "non_tweet", "tweet")}
    curve = D.reliability(scored.rows, config.evaluate.calibration_bins)
    # The ECE the evaluate stage computed from full-precision scores (MariaDB stores FLOAT, so a
    # recomputation from stored rows can move a score across a bin edge).
    stored_ece = metrics.get("all", {}).get("ece")
    curve["ece"] = curve["ece"] if stored_ece is None else stored_ece
    series = D.metric_series(qv.metric_history_rows(engine))
    # 4) current predictions
    current, origin = _current_rows(engine, config, model)
    # 5) layouts
    name = f"{model['name']} (#{mid})"
    layouts = {
        "prediction": prediction_explorer(scored, groups, words, metrics, model_name=name),
        "performance": performance_explorer(weekly, per_bucket, curve, series, model_name=name),
        "current": current_explorer(current, origin=origin),
    }
    facts = {
        "n_scored": len(scored.rows),
        "n_sampled": len(groups),
        "n_explained": len(words),
        "n_current": len(current),
        "current_origin": origin,
        "ece": curve["ece"],
        "metrics": metrics,
    }
    return Dashboards(model=model, layouts=layouts, facts=facts)


def resources(root_url: str) -> Resources:
    """BokehJS from the site itself: ``<root_url>static/js/bokeh*.min.js``."""
    # Bokeh drops the components a document does not use (GL, MathJax) when it bundles a page.
    return Resources(mode="server", root_url=root_url)


def copy_bokehjs(site_root: Path) -> list[Path]:
    """Copy the installed bokeh package's JS files into ``site_root/static/js`` (skipped when already equal)."""
    src = Path(bokeh.__file__).parent / "server" / "static" / "js"
    dest = site_root / "static" / "js"
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for comp in BOKEH_COMPONENTS:
        s, d = src / f"{comp}.min.js", dest / f"{comp}.min.js"
        if not d.is_file() or d.stat().st_size != s.stat().st_size:
            shutil.copyfile(s, d)
        out.append(d)
    return out


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file in the same folder (no half-written page)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)  # a site is read by a web server, not only by us
    os.replace(tmp, path)


def explorer_components(dash: Dashboards) -> dict[str, tuple[str, str]]:
    """name → (script, div) of each explorer, serialised once per build and shared by every writer."""
    if not dash.components:
        dash.components = {name: components(layout) for name, layout in dash.layouts.items()}
    return dash.components


def fragments(dash: Dashboards) -> dict[str, str]:
    """name → the explorer's Bokeh components (div then script) for embedding in a page."""
    return {name: f"{div}\n{script}" for name, (script, div) in explorer_components(dash).items()}


def write_dashboards(dash: Dashboards, out_dir: Path, *, site_root: Path | None = None) -> dict[str, Path]:
    """Write ``<name>.html`` (standalone), ``<name>.div.html`` and ``<name>.script.html`` per explorer.

    BokehJS goes to ``site_root/static/js`` (default: ``out_dir``); the pages reference it relatively.
    """
    root = site_root or out_dir
    copy_bokehjs(root)
    rel = os.path.relpath(root, out_dir).replace(os.sep, "/")
    res = resources("./" if rel == "." else rel.rstrip("/") + "/")
    written: dict[str, Path] = {}
    parts = explorer_components(dash)
    for name, layout in dash.layouts.items():
        script, div = parts[name]
        atomic_write(out_dir / f"{name}.div.html", div + "\n")
        atomic_write(out_dir / f"{name}.script.html", script + "\n")
        page = file_html(layout, resources=res, title=f"{EXPLORERS[name]} · Deep Classiflie")
        # An empty icon stops the browser asking for /favicon.ico (a 404 from a static server).
        page = page.replace("<head>", '<head>\n    <link rel="icon" href="data:,">', 1)
        atomic_write(out_dir / f"{name}.html", page)
        written[name] = out_dir / f"{name}.html"
    atomic_write(
        out_dir / "dashboards.json", json.dumps({"model": dash.model["name"], **dash.facts}, default=str, indent=2)
    )
    return written
