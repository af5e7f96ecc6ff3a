"""The performance explorer: TP/TN/FP/FN shares per week and per confidence bucket, calibration, metric history.

Tabs all / non-tweets / tweets hold the two stacked charts of their scope (hover shows the counts); below
them the reliability curve of the stored probabilities with its ECE, and AUC/MCC of every model version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from bokeh.layouts import column, row
from bokeh.models.layouts import LayoutDOM, TabPanel, Tabs
from bokeh.models.ranges import FactorRange, Range1d
from bokeh.models.sources import ColumnDataSource
from bokeh.models.tools import HoverTool
from bokeh.models.widgets.markups import Div
from bokeh.palettes import Category10
from bokeh.plotting import figure

from deep_classiflie.viz.data import CONFUSION, SCOPE_TITLES

COLORS = {"TP": "#2ca02c", "TN": "#1f77b4", "FP": "#d62728", "FN": "#ff7f0e"}
_SHARES = [f"{k}_share" for k in CONFUSION]
_TOOLTIPS = [("n", "@n"), *[(k, f"@{k}") for k in CONFUSION]]


def _stacked(source: ColumnDataSource, x: str, title: str, *, datetime: bool, name: str) -> Any:
    """A stacked bar chart of the four confusion shares of each x."""
    kwargs: dict[str, Any] = {"x_axis_type": "datetime"} if datetime else {}
    fig = figure(title=title, height=260, width=900, y_range=Range1d(start=0, end=1), name=name, **kwargs)
    width = 6 * 24 * 3600 * 1000 if datetime else 0.8  # six days in ms, or 0.8 of a bucket
    renderers = fig.vbar_stack(
        _SHARES, x=x, width=width, source=source, color=[COLORS[k] for k in CONFUSION], legend_label=list(CONFUSION)
    )
    label = ("week of", "@start_label") if datetime else ("bucket", "@bucket")
    fig.add_tools(HoverTool(renderers=list[Any](renderers), tooltips=[label, *_TOOLTIPS]))
    fig.yaxis.axis_label = "share of statements"
    fig.add_layout(fig.legend[0], "right")  # beside the bars, never over them
    return fig


def _weekly_source(weeks: Sequence[Mapping[str, Any]], scope: str) -> ColumnDataSource:
    data: dict[str, list[Any]] = {k: [w[k] for w in weeks] for k in ("n", *CONFUSION, *_SHARES)}
    # Bar centres mid-week; the label says the Monday the week starts on.
    data["start"] = [dt.datetime.fromisoformat(w["start"]) + dt.timedelta(days=3, hours=12) for w in weeks]
    data["start_label"] = [w["start"] for w in weeks]
    return ColumnDataSource(data, name=f"weekly_{scope}")


def _bucket_source(buckets: Sequence[Mapping[str, Any]], scope: str) -> ColumnDataSource:
    data = {k: [b[k] for b in buckets] for k in ("bucket", "n", *CONFUSION, *_SHARES)}
    return ColumnDataSource(data, name=f"buckets_{scope}")


def scope_panel(scope: str, weeks: Sequence[Mapping[str, Any]], buckets: Sequence[Mapping[str, Any]]) -> TabPanel:
    """One tab: weekly and per-bucket confusion shares of one scope (or a note when it has no statements)."""
    title = SCOPE_TITLES[scope]
    if not weeks and not buckets:
        return TabPanel(child=Div(text=f"<p>No {escape(title)} in the test split.</p>"), title=title)
    parts: list[Any] = []
    if weeks:
        parts.append(
            _stacked(
                _weekly_source(weeks, scope),
                "start",
                f"Confusion per week ({title})",
                datetime=True,
                name=f"weekly_fig_{scope}",
            )
        )
    else:
        parts.append(Div(text="<p>No dated statements: no weekly view.</p>"))
    parts.append(
        _stacked(
            _bucket_source(buckets, scope),
            "bucket",
            f"Confusion per confidence bucket ({title}; 1 = least confident)",
            datetime=False,
            name=f"bucket_fig_{scope}",
        )
    )
    return TabPanel(child=column(*parts), title=title)


def reliability_figure(curve: Mapping[str, Any]) -> Any:
    """Accuracy against mean confidence per bin, with the diagonal of perfect calibration."""
    fig = figure(
        title=f"Reliability of the top-class confidence (ECE = {curve['ece']:.3f})",
        height=320,
        width=420,
        x_range=Range1d(start=0.5, end=1.0),
        y_range=Range1d(start=0, end=1.02),
        name="reliability_fig",
    )
    src = ColumnDataSource({k: list(curve[k]) for k in ("confidence", "accuracy", "n")}, name="reliability")
    fig.line([0.5, 1.0], [0.5, 1.0], line_dash="dashed", color="grey", legend_label="perfect calibration")
    fig.line("confidence", "accuracy", source=src, line_width=2, legend_label="model")
    dots = fig.scatter("confidence", "accuracy", source=src, size=8)
    fig.add_tools(
        HoverTool(
            renderers=[dots],
            tooltips=[("confidence", "@confidence{0.000}"), ("accuracy", "@accuracy{0.000}"), ("n", "@n")],
        )
    )
    fig.xaxis.axis_label = "mean confidence"
    fig.yaxis.axis_label = "accuracy"
    fig.legend.location = "bottom_right"
    return fig


def history_figure(series: Mapping[str, Mapping[str, list[Any]]]) -> Any:
    """AUC and MCC of every model version on each dataset it was evaluated on."""
    if not series:
        return Div(text="<p>No metric history stored yet.</p>", name="history_fig")
    models: list[str] = []
    for s in series.values():
        models.extend(m for m in s["model"] if m not in models)
    fig = figure(
        title="Metric history across model versions",
        x_range=FactorRange(factors=models),
        y_range=Range1d(start=-1.0, end=1.0)
        if any(k.startswith("mcc") for k in series)
        else Range1d(start=0.0, end=1.0),
        height=320,
        width=560,
        name="history_fig",
    )
    palette = Category10[10]
    for i, (name, s) in enumerate(sorted(series.items())):
        src = ColumnDataSource(
            {"model": s["model"], "name": s["name"], "value": s["value"], "series": [name] * len(s["model"])},
            name=f"history_{i}",
        )
        color = palette[i % len(palette)]
        fig.line("model", "value", source=src, color=color, legend_label=name, line_width=2)
        dots = fig.scatter("model", "value", source=src, color=color, size=8, legend_label=name)
        fig.add_tools(
            HoverTool(
                renderers=[dots], tooltips=[("model", "@model @name"), ("", "@series"), ("value", "@value{0.000}")]
            )
        )
    fig.legend.location = "bottom_left"
    fig.xaxis.axis_label = "model version"
    return fig


def performance_explorer(
    weekly: Mapping[str, Sequence[Mapping[str, Any]]],
    buckets: Mapping[str, Sequence[Mapping[str, Any]]],
    curve: Mapping[str, Any],
    series: Mapping[str, Mapping[str, list[Any]]],
    *,
    model_name: str,
) -> LayoutDOM:
    """The Bokeh layout of the performance explorer."""
    tabs = Tabs(
        tabs=[scope_panel(s, weekly.get(s, []), buckets.get(s, [])) for s in ("all", "non_tweet", "tweet")], name="tabs"
    )
    header = Div(
        text=f"<h2>Performance explorer</h2><p>Model {escape(model_name)} on its test split: how the confusion classes "
        "spread over time and over confidence, how well its confidence is calibrated, and how model versions compare.</p>",
        width=1300,  # wraps long model names instead of widening the page
    )
    return column(header, tabs, row(reliability_figure(curve), history_figure(series)))
