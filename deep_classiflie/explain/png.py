"""The card as a PNG (matplotlib, Agg): the statement's words coloured by attribution, wrapped to the width,
then the prediction, the bucket's record, global metrics and similar statements. Readable at 1200 px wide."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping
from typing import Any

from deep_classiflie.explain.colours import legend, word_colour, word_rgba

_DPI = 100
_MARGIN = 30  # px
_WORD_PT = 15
_BODY_PT = 11


def _fmt(value: Any) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def _info_lines(card: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(line, bold) pairs of everything under the statement."""
    p, s, b = card["prediction"], card["statement"], card["bucket"]
    thr = f" (threshold {_fmt(p['threshold'])})" if p.get("threshold") is not None else ""
    lines = [
        (f"{p['label']}: probability {_fmt(p['probability'])}{thr}, confidence {_fmt(p['confidence'])}", True),
        (
            "actual label: " + (s["actual_label"] if s.get("actual_label") is not None else "not yet fact-checked"),
            False,
        ),
        (f"most influential word: {card.get('top_word') or 'none'}", False),
    ]
    if b:
        lines.append(
            (
                f"confidence bucket {b['bucket']} ({b.get('scope', 'all')}, n={b['n']}): accuracy {_fmt(b['accuracy'])}, "
                f"PPV {_fmt(b['ppv'])}, NPV {_fmt(b['npv'])}",
                False,
            )
        )
    else:
        lines.append(("confidence bucket: none stored for this model", False))
    for scope, values in card["global_metrics"].items():
        shown = ", ".join(f"{k} {_fmt(v)}" for k, v in values.items() if k in ("auc", "mcc", "accuracy", "f1"))
        lines.append((f"global metrics, {scope}: {shown or 'n/a'}", False))
    if card["similar"]:
        lines.append(("similar training statements:", True))
        for n in card["similar"]:
            tags = ", ".join(x for x in (n["label"], (n.get("date") or "")[:10], f"d={_fmt(n['distance'])}") if x)
            lines.append((f"  [{tags}] {n['text']}", False))
    a = card["attribution"]
    lines.append(
        (
            f"{a['method']}, target {a['target']}, baseline {a['baseline']}, {a['n_steps']} steps, "
            f"{a['normalisation']} normalised, delta {_fmt(a['delta'])}",
            False,
        )
    )
    return lines


def card_png(card: Mapping[str, Any], *, width_px: int = 1200) -> bytes:
    """PNG bytes of the card, ``width_px`` wide, as tall as its content."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # 1) lay the words out on a scratch canvas to measure them, wrapping at the width.
    fig = Figure(figsize=(width_px / _DPI, 4), dpi=_DPI)
    renderer = FigureCanvasAgg(fig).get_renderer()
    space = (
        fig.text(0, 0, "a a", parse_math=False, fontsize=_WORD_PT).get_window_extent(renderer).width
        - fig.text(0, 0, "aa", parse_math=False, fontsize=_WORD_PT).get_window_extent(renderer).width
    )
    line_h = _WORD_PT * 2.0
    placed, x, y = [], float(_MARGIN), 60.0
    for w in card["words"]:
        width = fig.text(0, 0, w["word"], parse_math=False, fontsize=_WORD_PT).get_window_extent(renderer).width
        if x + width > width_px - _MARGIN and x > _MARGIN:
            x, y = float(_MARGIN), y + line_h
        placed.append((w, x, y))
        x += width + space + 6
    text_bottom = y + line_h
    info = _info_lines(card)
    wrap_chars = int((width_px - 2 * _MARGIN) / (_BODY_PT * 0.55))
    wrapped = [(part, bold) for line, bold in info for part in (textwrap.wrap(line, wrap_chars) or [""])]
    height = int(text_bottom + 50 + len(wrapped) * _BODY_PT * 1.7 + _MARGIN)
    # 2) draw for real on a figure of the final height (y measured from the top in pixels).
    fig = Figure(figsize=(width_px / _DPI, height / _DPI), dpi=_DPI, facecolor="white")
    FigureCanvasAgg(fig)

    def at(px: float, py: float) -> tuple[float, float]:
        return px / width_px, 1 - py / height

    s = card["statement"]
    title = f"Deep Classiflie · model {card['model']['name']} (v{card['model']['id']}) · {s['type']}"
    if s.get("date"):
        title += f" · {str(s['date'])[:10]}"
    fig.text(*at(_MARGIN, 25), title, parse_math=False, fontsize=_BODY_PT + 1, weight="bold", va="center")
    for w, wx, wy in placed:
        score = w["score"] if w.get("seen", True) else None
        colour = word_colour(score)
        fig.text(
            *at(wx, wy),
            w["word"],
            parse_math=False,
            fontsize=_WORD_PT,
            va="center",
            color=colour["text"],
            bbox={"facecolor": word_rgba(score), "edgecolor": "none", "boxstyle": "round,pad=0.2"},
        )
    lg = legend(card)
    ly = text_bottom + 15
    fig.text(
        *at(_MARGIN, ly),
        f"red: {lg['positive']}",
        parse_math=False,
        fontsize=_BODY_PT,
        va="center",
        color=word_colour(1.0)["background"],
        weight="bold",
    )
    fig.text(
        *at(width_px / 2, ly),
        f"blue: {lg['negative']}",
        parse_math=False,
        fontsize=_BODY_PT,
        va="center",
        color=word_colour(-1.0)["background"],
        weight="bold",
    )
    yy = ly + 35
    for line, bold in wrapped:
        fig.text(
            *at(_MARGIN, yy),
            line,
            parse_math=False,
            fontsize=_BODY_PT,
            va="center",
            weight="bold" if bold else "normal",
        )
        yy += _BODY_PT * 1.7
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, facecolor="white")
    return buf.getvalue()
