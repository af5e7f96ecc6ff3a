"""``dashboards`` and ``site``: the three Bokeh explorers, and the Jekyll site that holds them.

- ``dashboards --out DIR [--model REF]`` writes each explorer as Bokeh components and a standalone page.
- ``site build [--out DIR] [--no-jekyll] [--model REF]`` builds the whole site (default: ``viz.site_dir``).
- ``site serve [--dir DIR] [--port N]`` serves a built site on 127.0.0.1 for a quick look.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from deep_classiflie.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``dashboards`` and ``site`` commands."""
    dash = sub.add_parser("dashboards", help="write the three explorers (Bokeh components + standalone HTML)")
    dash.add_argument("--out", type=Path, required=True, help="folder to write (created if missing)")
    dash.add_argument("--model", help="model version name or id (default: the active one)")
    dash.set_defaults(func=dashboards)
    site = sub.add_parser("site", help="build the static site with the explorers, or serve a built one")
    actions = site.add_subparsers(dest="site_command", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="generate the dashboards and run Jekyll")
    build.add_argument("--out", type=Path, help="output folder (default: viz.site_dir); its contents are replaced")
    build.add_argument("--no-jekyll", action="store_true", help="render the same pages with Jinja2 instead of Jekyll")
    build.add_argument("--model", help="model version name or id (default: the active one)")
    build.set_defaults(func=site_build)
    serve = actions.add_parser("serve", help="serve a built site on 127.0.0.1 until interrupted")
    serve.add_argument("--dir", type=Path, help="built site (default: viz.site_dir)")
    serve.add_argument("--port", type=int, help="port (default: viz.serve_port)")
    serve.set_defaults(func=site_serve)


def dashboards(ctx: Context, args: argparse.Namespace) -> int:
    """Build the explorers from the store and write them to ``--out``."""
    from deep_classiflie.viz.build import build_dashboards, write_dashboards

    dash = build_dashboards(ctx.engine, ctx.config, model_ref=args.model)
    written = write_dashboards(dash, args.out)
    print(f"wrote {len(written)} explorers of model {dash.model['name']} to {args.out}")
    return 0


def site_build(ctx: Context, args: argparse.Namespace) -> int:
    """Build the site (Jekyll unless --no-jekyll)."""
    from deep_classiflie.viz.site import build_site

    out = args.out or ctx.config.viz.site_dir
    result = build_site(ctx.engine, ctx.config, out, jekyll=not args.no_jekyll, model_ref=args.model)
    how = "Jekyll" if result.used_jekyll else "plain HTML (no Jekyll)"
    print(
        f"built {len(result.pages)} pages with {how} into {out}; open {out / 'index.html'} or `deep-classiflie site serve`"
    )
    return 0


def site_serve(ctx: Context, args: argparse.Namespace) -> int:
    """Serve a built site on 127.0.0.1 until Ctrl-C."""
    from deep_classiflie.viz.site import make_server

    site_dir = args.dir or ctx.config.viz.site_dir
    server = make_server(site_dir, ctx.config.viz.serve_port if args.port is None else args.port)
    print(f"serving {site_dir} at http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
