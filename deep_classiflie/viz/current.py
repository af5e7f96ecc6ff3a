"""The current-predictions explorer: the latest published predictions in a sortable, filterable table.

Where they come from, best first: the publisher's JSON feed file, its ``publications`` log in the store,
else the newest stored predictions of the model. Only http/https source URLs become links: the link
column is the one place an HTML template is used, and it only ever sees a URL vetted by ``safe_url``
and escaped again by the template (``<%- %>``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from bokeh.layouts import column, row
from bokeh.models.callbacks import CustomJS
from bokeh.models.layouts import LayoutDOM
from bokeh.models.sources import ColumnDataSource
from bokeh.models.widgets.inputs import Select, TextInput
from bokeh.models.widgets.markups import Div
from bokeh.models.widgets.tables import DataTable, HTMLTemplateFormatter, NumberFormatter, StringFormatter, TableColumn

from deep_classiflie.core.errors import DataSourceError
from deep_classiflie.viz.data import LABELS, _num, day, safe_url

COLUMNS = (
    "statement_id",
    "date",
    "type",
    "text",
    "probability",
    "label",
    "bucket_accuracy",
    "bucket_ppv",
    "model",
    "url",
)
LINK_TEMPLATE = (
    '<% if (url) { %><a href="<%- url %>" target="_blank" rel="noopener noreferrer nofollow">source</a><% } %>'
)

FILTER_JS = """
const d = full.data, typ = type_sel.value, lab = label_sel.value, q = search.value.trim().toLowerCase();
const out = {};
for (const k of Object.keys(d)) out[k] = [];
for (let i = 0; i < d.statement_id.length; i++) {
  if (typ !== 'all' && d.type[i] !== typ) continue;
  if (lab !== 'all' && d.label[i] !== lab) continue;
  if (q && !String(d.text[i]).toLowerCase().includes(q)) continue;
  for (const k in out) out[k].push(d[k][i]);
}
shown.selected.indices = [];
shown.data = out;
table.view.change.emit();  // the table only redraws on a view change, and equal row counts give none
count.text = out.statement_id.length + ' of ' + d.statement_id.length + ' predictions shown';
"""


def read_feed(path: Path) -> dict[str, Any] | None:
    """The publisher's feed (schema 1), or None when the file does not exist; a clear error when it is broken."""
    if not path.is_file():
        return None
    try:
        feed = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataSourceError(
            f"the prediction feed {path} is not readable JSON: {exc}",
            hint="re-run the publisher, or delete the file to fall back to the store",
        ) from None
    if not isinstance(feed, dict) or feed.get("schema") != 1 or not isinstance(feed.get("items"), list):
        raise DataSourceError(
            f"the prediction feed {path} is not a schema-1 feed (items list missing)",
            hint="re-run the publisher, or delete the file to fall back to the store",
        )
    return feed


def rows_from_feed(feed: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Table rows from the feed's items (missing bucket → blank bucket metrics)."""
    out = []
    model = feed.get("model") or {}
    for item in feed["items"]:
        bucket = item.get("bucket") or {}
        version = item.get("model_version") or model.get("name") or model.get("id") or ""
        out.append(
            {
                "statement_id": int(item.get("statement_id") or -1),
                "date": day(item.get("date")),
                "type": str(item.get("type") or ""),
                "text": str(item.get("text") or ""),
                "probability": _num(item.get("probability")),
                "label": str(item.get("label") or ""),
                "bucket_accuracy": _num(bucket.get("accuracy")),
                "bucket_ppv": _num(bucket.get("ppv")),
                "model": str(version),
                "url": safe_url(item.get("source_url")),
            }
        )
    return out


def rows_from_store(
    rows: Sequence[Mapping[str, Any]], bucket_for: Callable[[int, float, str], Mapping[str, Any] | None]
) -> list[dict[str, Any]]:
    """Table rows from stored predictions (publications log or predictions table).

    ``bucket_for(model_version_id, confidence, statement_type)`` gives the stored bucket's stats or None.
    """
    out = []
    for r in rows:
        meta = r["meta"] if isinstance(r.get("meta"), Mapping) else {}
        payload = r["payload"] if isinstance(r.get("payload"), Mapping) else {}
        bucket = bucket_for(int(r["model_version_id"]), float(r["confidence"]), str(r["statement_type"])) or {}
        out.append(
            {
                "statement_id": int(r["statement_id"]),
                "date": day(r["statement_date"]),
                "type": str(r["statement_type"]),
                "text": str(r["text"]),
                "probability": float(r["probability"]),
                "label": LABELS.get(int(r["predicted_label"]), str(r["predicted_label"])),
                "bucket_accuracy": _num(bucket.get("accuracy")),
                "bucket_ppv": _num(bucket.get("ppv")),
                "model": f"{r['model_name']} (#{r['model_version_id']})",
                "url": safe_url(payload.get("source_url") or meta.get("source_url") or meta.get("url")),
            }
        )
    return out


def current_explorer(rows: Sequence[Mapping[str, Any]], *, origin: str) -> LayoutDOM:
    """The Bokeh layout of the current-predictions explorer; ``origin`` says where the rows came from."""
    data = {c: [r[c] for r in rows] for c in COLUMNS}
    full = ColumnDataSource(data, name="full")
    shown = ColumnDataSource(dict(data), name="shown")
    type_sel = Select(
        title="Statement type", value="all", options=list[Any](["all", *sorted(set(data["type"]))]), name="type"
    )
    label_sel = Select(
        title="Prediction", value="all", options=list[Any](["all", *sorted(set(data["label"]))]), name="label"
    )
    search = TextInput(title="Text contains", name="search")
    count = Div(text=f"{len(rows)} of {len(rows)} predictions shown", name="count")
    table = DataTable(
        source=shown,
        name="table",
        columns=[
            TableColumn(field="date", title="date", formatter=StringFormatter(), width=90),
            TableColumn(field="type", title="type", formatter=StringFormatter(), width=80),
            TableColumn(field="text", title="statement", formatter=StringFormatter(), width=440),
            TableColumn(field="probability", title="P(false)", formatter=NumberFormatter(format="0.000"), width=70),
            TableColumn(field="label", title="prediction", formatter=StringFormatter(), width=110),
            TableColumn(
                field="bucket_accuracy", title="bucket acc", formatter=NumberFormatter(format="0.000"), width=75
            ),
            TableColumn(field="bucket_ppv", title="bucket PPV", formatter=NumberFormatter(format="0.000"), width=75),
            TableColumn(field="model", title="model", formatter=StringFormatter(), width=110),
            TableColumn(field="url", title="source", formatter=HTMLTemplateFormatter(template=LINK_TEMPLATE), width=60),
        ],
        sortable=True,
        reorderable=False,
        width=1100,
        height=460,
        index_position=None,
    )
    refilter = CustomJS(
        args={
            "table": table,
            "full": full,
            "shown": shown,
            "type_sel": type_sel,
            "label_sel": label_sel,
            "search": search,
            "count": count,
        },
        code=FILTER_JS,
    )
    for widget in (type_sel, label_sel, search):
        widget.js_on_change("value", refilter)
    header = Div(
        text="<h2>Current predictions</h2>"
        f"<p>The latest {len(rows)} predictions, from {escape(origin)}. A prediction is not a fact-check: "
        "read the bucket's accuracy and PPV before trusting one.</p>",
        width=1300,  # wraps long model names instead of widening the page
    )
    return column(header, row(type_sel, label_sel, search), count, table)
