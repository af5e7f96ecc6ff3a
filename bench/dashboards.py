"""Site build time and page sizes from a store holding a scored test split of ≥ 5,000 statements.

Ours: ``build_site`` (dashboards from the store, Jekyll unless --no-jekyll, BokehJS copied once into
``static/js`` and shared by every page). The usual alternative, measured in the same run on the same
explorers: Bokeh's standalone pages with BokehJS inlined (``file_html`` with ``INLINE`` resources), the
only other way a page works offline; its largest page shows what sharing BokehJS saves.

The store is synthetic but written by the real stages' code (``tests/viz/store.py``: ingest queries,
``evaluate_model`` with the default 25/25/10 buckets, two model versions, attribution cards).

Usage: ``nice -n 10 .venv/bin/python bench/dashboards.py [--statements 6800] [--no-jekyll] [--keep DIR]``
The last printed line is ``RESULT build_seconds=… largest_page_kb=… total_site_kb=… …``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bokeh.embed import file_html
from bokeh.resources import INLINE

from deep_classiflie.config import Config
from deep_classiflie.viz.build import build_dashboards
from deep_classiflie.viz.site import build_site
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from tests.viz.store import build_store


def _kb(path: Path) -> float:
    return path.stat().st_size / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--statements", type=int, default=6800, help="statements in the store (3/4 go to the test split)")
    ap.add_argument("--no-jekyll", action="store_true", help="build the plain-HTML site instead of running Jekyll")
    ap.add_argument("--keep", type=Path, help="keep the built site here")
    args = ap.parse_args()
    jekyll = not args.no_jekyll and shutil.which("jekyll") is not None
    with tempfile.TemporaryDirectory(prefix="dc-bench-dash-") as tmp:
        work = Path(tmp)
        engine = make_engine(f"sqlite:///{work / 'store.sqlite'}")
        migrate.upgrade(engine)
        t0 = time.perf_counter()
        store = build_store(engine, args.statements, buckets={"all": 25, "non_tweet": 25, "tweet": 10}, days=0.25)
        n_test = len(store.ids) - len(range(0, len(store.ids), 4))
        print(
            f"store: {len(store.ids)} statements, {n_test} in the scored test split ({time.perf_counter() - t0:.1f} s)"
        )
        cfg = Config.model_validate({"paths": {"data_dir": str(work / "dc")}})
        out = args.keep or work / "site"
        if args.keep and out.exists():
            shutil.rmtree(out)
        # 1) ours: the whole site
        t0 = time.perf_counter()
        result = build_site(engine, cfg, out, jekyll=jekyll)
        build_s = time.perf_counter() - t0
        pages = sorted(p for p in out.rglob("*.html"))
        files = [p for p in out.rglob("*") if p.is_file()]
        largest = max(pages, key=_kb)
        largest_kb, largest_name = _kb(largest), largest.relative_to(out)
        total_kb = sum(_kb(p) for p in files)
        print(
            f"ours ({'Jekyll' if jekyll else 'no Jekyll'}): {len(result.pages)} pages + standalone dashboards in {build_s:.1f} s"
        )
        for p in pages:
            print(f"  {p.relative_to(out)}: {_kb(p):.0f} kB")
        print(f"  static/js (shared by every page): {sum(_kb(p) for p in (out / 'static' / 'js').iterdir()):.0f} kB")
        # 2) the usual alternative: the same explorers as self-contained pages with BokehJS inlined
        t0 = time.perf_counter()
        dash = build_dashboards(engine, cfg)
        inline_sizes = {}
        for name, layout in dash.layouts.items():
            page = work / f"inline_{name}.html"
            page.write_text(file_html(layout, resources=INLINE, title=name), encoding="utf-8")
            inline_sizes[name] = _kb(page)
        inline_s = time.perf_counter() - t0
        print(
            f"inline BokehJS (alternative): {', '.join(f'{k} {v:.0f} kB' for k, v in inline_sizes.items())} in {inline_s:.1f} s"
        )
        engine.dispose()
    print(
        f"RESULT build_seconds={build_s:.1f} largest_page_kb={largest_kb:.0f} total_site_kb={total_kb:.0f} "
        f"largest_page={largest_name} test_statements={n_test} jekyll={int(jekyll)} "
        f"inline_largest_page_kb={max(inline_sizes.values()):.0f} inline_seconds={inline_s:.1f}"
    )


if __name__ == "__main__":
    main()
