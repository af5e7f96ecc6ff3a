"""The post text, pure: one fixed template, the statement quoted up to a configured length.

``Likely falsehood (p=0.93). Statements in this confidence bucket were falsehoods 97% of the time (n=120).
Said 2020-03-01: "…quote…" <link>``
"""

from __future__ import annotations

import datetime as dt

from deep_classiflie.config.bot import TemplateConfig

ELLIPSIS = "…"
TCO_LENGTH = 23  # Twitter counts every link as this many characters


def quote(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    if " " in cut and not text[len(cut)].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + ELLIPSIS


def link_for(cfg: TemplateConfig, *, statement_id: int, model: str) -> str | None:
    """The card / site page link of a statement, or None when the template has no link."""
    return cfg.link.format(statement_id=statement_id, model=model) if cfg.link else None


def counted_length(text: str, link: str | None) -> int:
    """Length as Twitter counts it (the link as 23 characters)."""
    return len(text) - (len(link) - TCO_LENGTH if link and link in text else 0)


def post_text(
    cfg: TemplateConfig,
    *,
    statement_id: int,
    statement_text: str,
    statement_date: dt.datetime | None,
    probability: float,
    bucket_ppv: float,
    bucket_n: int,
    model: str,
) -> str:
    """The post: prediction, the bucket's PPV and size, the quoted statement, the link; within ``max_chars``."""
    link = link_for(cfg, statement_id=statement_id, model=model)
    said = f"Said {statement_date:%Y-%m-%d}: " if statement_date else "Said: "
    head = (
        f"Likely falsehood (p={probability:.2f}). Statements in this confidence bucket were falsehoods "
        f"{bucket_ppv:.0%} of the time (n={bucket_n}). {said}"
    )
    tail = f" {link}" if link else ""
    limit = cfg.quote_chars
    while True:
        text = f'{head}"{quote(statement_text, limit)}"{tail}'
        if counted_length(text, link) <= cfg.max_chars or limit == 0:
            return text
        limit = max(0, limit - (counted_length(text, link) - cfg.max_chars))
