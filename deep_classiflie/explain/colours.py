"""One diverging colour map for word attributions, shared by the PNG and the HTML card.

Red pushes toward the attributed output (binary: "likely falsehood"), blue away from it; white is neutral.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COLOUR_MAP = "RdBu_r"
UNSEEN = "#e6e6e6"  # words past the model's max_length: not attributed


def word_rgba(score: float | None) -> tuple[float, float, float, float]:
    """RGBA of a normalised score in [-1, 1] (None: the grey of words the model never saw)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_rgba

    if score is None:
        return to_rgba(UNSEEN)
    x = 0.5 + 0.5 * max(-1.0, min(1.0, float(score)))
    r, g, b, a = colormaps[COLOUR_MAP](x)
    return (float(r), float(g), float(b), float(a))


def word_colour(score: float | None) -> dict[str, str]:
    """``{"background", "text"}`` hex colours for a word (dark text on light backgrounds, white on dark)."""
    from matplotlib.colors import to_hex

    r, g, b, _ = word_rgba(score)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return {"background": to_hex((r, g, b)), "text": "#000000" if luminance > 0.45 else "#ffffff"}


def legend(card: Mapping[str, Any]) -> dict[str, str]:
    """What red and blue mean on this card."""
    target = str(card["attribution"].get("target", ""))
    if target == "falsehood logit":
        return {"positive": 'pushes toward "likely falsehood"', "negative": 'pushes toward "not flagged"'}
    cls = target.removesuffix(" logit") or "the predicted class"
    return {"positive": f"pushes toward {cls}", "negative": f"pushes away from {cls}"}
