"""The prediction explorer: test statements sampled from the extreme confidence buckets, and a search-all table.

Filters (view, statement type, bucket, confusion class, text) rewrite the displayed source in the browser;
selecting a row fills the detail panel with the statement, its word attributions (when the explain stage
stored a card for it), its bucket's metrics and the global metrics. Every text is escaped: the table uses
``StringFormatter`` and the detail panel's HTML is built by an escaping function.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from bokeh.layouts import column, row
from bokeh.models.callbacks import CustomJS
from bokeh.models.layouts import LayoutDOM
from bokeh.models.sources import ColumnDataSource
from bokeh.models.widgets.groups import CheckboxButtonGroup
from bokeh.models.widgets.inputs import Select, TextInput
from bokeh.models.widgets.markups import Div
from bokeh.models.widgets.tables import DataTable, NumberFormatter, StringFormatter, TableColumn

from deep_classiflie.viz.data import CONFUSION, Scored

# Columns that travel to the browser (the full source and the shown one share them).
COLUMNS = (
    "statement_id",
    "date",
    "type",
    "text",
    "probability",
    "predicted",
    "actual",
    "confusion",
    "bucket",
    "bucket_accuracy",
    "bucket_ppv",
    "bucket_npv",
    "groups",
    "words",
)
VIEWS: list[Any] = [("sampled", "sampled from the extreme buckets"), ("all", "search all")]

# Escapes like Python's html.escape(quote=True); every stored string goes through it before innerHTML.
ESCAPE_JS = """
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;'}[c]));
const fmt = (x) => (x === null || x === undefined || Number.isNaN(Number(x))) ? '–' : Number(x).toFixed(3);
"""

FILTER_JS = """
const d = full.data;
const view = view_sel.value, typ = type_sel.value, bk = bucket_sel.value;
const q = search.value.trim().toLowerCase();
const active = new Set(conf.active.map((i) => conf.labels[i]));
const out = {};
for (const k of Object.keys(d)) out[k] = [];
for (let i = 0; i < d.statement_id.length; i++) {
  if (view === 'sampled' && !d.groups[i]) continue;
  if (typ !== 'all' && d.type[i] !== typ) continue;
  if (bk !== 'all' && String(d.bucket[i]) !== bk) continue;
  if (!active.has(d.confusion[i])) continue;
  if (q && !String(d.text[i]).toLowerCase().includes(q)) continue;
  for (const k in out) out[k].push(d[k][i]);
}
shown.selected.indices = [];
shown.data = out;
table.view.change.emit();  // the table only redraws on a view change, and equal row counts give none
count.text = out.statement_id.length + ' of ' + d.statement_id.length + ' statements shown';
"""

DETAIL_JS = (
    ESCAPE_JS
    + """
const i = shown.selected.indices[0];
if (i === undefined) { detail.text = empty; return; }
const d = shown.data;
let words = [];
try { words = d.words[i] ? JSON.parse(d.words[i]) : []; } catch (e) { words = []; }
let body = '<p class="dc-statement">' + esc(d.text[i]) + '</p>';
if (words.length) {
  const top = Math.max(...words.map((w) => Math.abs(w.score))) || 1;
  body += '<p>' + words.map((w) => {
    const a = (Math.abs(w.score) / top * 0.6).toFixed(2);
    const rgb = w.score >= 0 ? '214,39,40' : '31,119,180';
    return '<span title="' + esc(w.score.toFixed(3)) + '" style="background: rgba(' + rgb + ',' + a + ')">' + esc(w.word) + '</span>';
  }).join(' ') + '</p>';
  body += '<p class="dc-note">Word attributions: red pushed towards "likely falsehood", blue away.</p>';
} else {
  body += '<p class="dc-note">No word attributions stored for this statement.</p>';
}
const g = JSON.parse(global_metrics);
const grows = Object.keys(g).map((s) => '<tr><td>' + esc(s) + '</td><td>' + fmt(g[s].auc) + '</td><td>' + fmt(g[s].mcc) + '</td><td>' + fmt(g[s].accuracy) + '</td></tr>').join('');
detail.text = '<h3>Statement ' + esc(d.statement_id[i]) + ' · ' + esc(d.type[i]) + ' · ' + esc(d.date[i]) + '</h3>' + body +
  '<p>P(falsehood) = ' + fmt(d.probability[i]) + ' → ' + esc(d.predicted[i]) + '; fact-check: ' + esc(d.actual[i]) + ' (' + esc(d.confusion[i]) + ')</p>' +
  '<p>Bucket ' + esc(d.bucket[i]) + ' of its statement type: accuracy ' + fmt(d.bucket_accuracy[i]) + ', PPV ' + fmt(d.bucket_ppv[i]) + ', NPV ' + fmt(d.bucket_npv[i]) + '</p>' +
  (d.groups[i] ? '<p>Sampled as: ' + esc(d.groups[i]) + '</p>' : '') +
  '<table class="dc-metrics"><tr><th>scope</th><th>AUC</th><th>MCC</th><th>accuracy</th></tr>' + grows + '</table>';
"""
)

EMPTY_DETAIL = '<p class="dc-note">Select a row to see the statement, its word attributions and its bucket.</p>'


def explorer_columns(
    scored: Scored, groups: Mapping[int, list[str]], words: Mapping[int, list[dict[str, Any]]]
) -> dict[str, list[Any]]:
    """The full source's columns: one entry per scored statement, in statement id order."""
    data: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    for r in scored.rows:
        sid = r["statement_id"]
        for c in COLUMNS:
            if c == "groups":
                data[c].append(", ".join(groups.get(sid, [])))
            elif c == "words":
                data[c].append(json.dumps(words[sid]) if sid in words else "")
            else:
                data[c].append(r[c])
    return data


def filter_columns(data: Mapping[str, list[Any]], *, view: str = "sampled") -> dict[str, list[Any]]:
    """What the filter JS shows for a view with every other filter open (the initial table)."""
    keep = [i for i in range(len(data["statement_id"])) if view == "all" or data["groups"][i]]
    return {k: [v[i] for i in keep] for k, v in data.items()}


def prediction_explorer(
    scored: Scored,
    groups: Mapping[int, list[str]],
    words: Mapping[int, list[dict[str, Any]]],
    global_metrics: Mapping[str, Mapping[str, float | None]],
    *,
    model_name: str,
) -> LayoutDOM:
    """The Bokeh layout of the prediction explorer (sources named ``full`` and ``shown`` for tests)."""
    data = explorer_columns(scored, groups, words)
    full = ColumnDataSource(data, name="full")
    shown = ColumnDataSource(filter_columns(data), name="shown")
    n_shown = len(shown.data["statement_id"])
    types: list[Any] = sorted({r["type"] for r in scored.rows})
    n_buckets = max((r["bucket"] for r in scored.rows), default=0)

    view_sel = Select(title="View", value="sampled", options=VIEWS, name="view")
    type_sel = Select(title="Statement type", value="all", options=list[Any](["all", *types]), name="type")
    bucket_sel = Select(
        title="Confidence bucket",
        value="all",
        options=list[Any](["all", *map(str, range(1, n_buckets + 1))]),
        name="bucket",
    )
    conf = CheckboxButtonGroup(labels=list(CONFUSION), active=list(range(len(CONFUSION))), name="confusion")
    search = TextInput(title="Text contains", placeholder="search all statements", name="search")
    count = Div(text=f"{n_shown} of {len(scored.rows)} statements shown", name="count")
    detail = Div(text=EMPTY_DETAIL, name="detail", width=440, styles={"overflow-wrap": "anywhere"})

    table = DataTable(
        source=shown,
        name="table",
        columns=[
            TableColumn(field="date", title="date", formatter=StringFormatter(), width=90),
            TableColumn(field="type", title="type", formatter=StringFormatter(), width=80),
            TableColumn(field="text", title="statement", formatter=StringFormatter(), width=420),
            TableColumn(field="probability", title="P(false)", formatter=NumberFormatter(format="0.000"), width=70),
            TableColumn(field="predicted", title="prediction", formatter=StringFormatter(), width=100),
            TableColumn(field="confusion", title="class", formatter=StringFormatter(), width=50),
            TableColumn(field="bucket", title="bucket", width=55),
            TableColumn(
                field="bucket_accuracy", title="bucket acc", formatter=NumberFormatter(format="0.000"), width=75
            ),
            TableColumn(field="bucket_ppv", title="bucket PPV", formatter=NumberFormatter(format="0.000"), width=75),
            TableColumn(field="groups", title="sampled as", formatter=StringFormatter(), width=160),
        ],
        sortable=True,
        reorderable=False,
        selectable=True,
        width=920,
        height=420,
        index_position=None,
    )
    args = {
        "table": table,
        "full": full,
        "shown": shown,
        "view_sel": view_sel,
        "type_sel": type_sel,
        "bucket_sel": bucket_sel,
        "conf": conf,
        "search": search,
        "count": count,
    }
    refilter = CustomJS(args=args, code=FILTER_JS)
    for widget in (view_sel, type_sel, bucket_sel, search):
        widget.js_on_change("value", refilter)
    conf.js_on_change("active", refilter)
    shown.selected.js_on_change(
        "indices",
        CustomJS(
            args={
                "shown": shown,
                "detail": detail,
                "empty": EMPTY_DETAIL,
                "global_metrics": json.dumps(global_metrics, allow_nan=False, default=str),
            },
            code=DETAIL_JS,
        ),
    )
    header = Div(
        text=f"<h2>Prediction explorer</h2><p>Model {escape(model_name)}: {len(scored.rows)} scored test statements; "
        f"{n_shown} sampled from the extreme PPV/accuracy buckets of each statement type. Labels are the stored "
        "predictions at the model's decision threshold for each statement type, so a P(false) under 0.5 can be "
        "flagged.</p>",
        width=1300,  # wraps long model names instead of widening the page
    )
    filters = row(view_sel, type_sel, bucket_sel, search)
    return column(header, filters, conf, count, row(table, detail))
