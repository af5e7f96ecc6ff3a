"""Rendering a card: HTML escapes every piece of statement text and is standalone; PNG and JSON; atomic names."""

from __future__ import annotations

import json
import struct
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from deep_classiflie.core.errors import ConfigError
from deep_classiflie.explain.card import assemble_card
from deep_classiflie.explain.render import card_html, card_stem, render_card
from deep_classiflie.explain.words import merge_to_words

ATTACKS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


def sample_card(text: str, *, statement_id: int | None = 7, source_url: str | None = None) -> dict[str, Any]:
    """A card from fixed parts (no model): the words of ``text`` with alternating scores."""
    import numpy as np

    spans = [(m.start(), m.end()) for m in __import__("re").finditer(r"\S+", text)]
    words = merge_to_words(
        text, np.array(spans), np.array([(-1.0) ** i * (i + 1) / len(spans) for i in range(len(spans))])
    )
    return assemble_card(
        model={"id": 3, "name": "m<b>3</b>"},
        statement={
            "id": statement_id,
            "text": text,
            "type": "tweet",
            "date": "2020-01-02T00:00:00",
            "actual_label": None,
            "source_url": source_url,
        },
        prediction={"probability": 0.8, "label": "likely falsehood", "threshold": 0.5, "confidence": 0.8},
        words=words,
        top_word=words[-1]["word"],
        bucket={"bucket": 4, "n": 20, "accuracy": 0.9, "ppv": 0.85, "npv": None, "scope": "tweet"},
        global_metrics={"all": {"auc": 0.91, "mcc": 0.7}, "tweet": {"auc": 0.8}},
        similar=[
            {"statement_id": 1, "text": ATTACKS[1] + " said", "label": "falsehood", "date": None, "distance": 0.1}
        ],
        attribution={
            "method": "layer_integrated_gradients",
            "target": "falsehood logit",
            "baseline": "pad",
            "n_steps": 50,
            "normalisation": "max_abs",
            "delta": 0.0001,
        },
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("attack", ATTACKS, ids=["script", "img-onerror"])
def test_statement_markup_renders_as_text(attack: str) -> None:
    html = card_html(sample_card(f"they said {attack} today"))
    parsed = _parse(html)
    tags = {t for t, _ in parsed.tags}
    assert not tags & {"script", "img", "iframe", "link", "object", "embed"}
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    text = "".join(parsed.text)
    # the words of the attack are shown, as text: once in the statement, once (or more) elsewhere
    assert "alert(1)" in text and ("<script>alert(1)</script>" in text or "<img" in text)
    assert "&lt;" in html and "m<b>3</b>" in text  # the model name is escaped too


def test_html_is_standalone() -> None:
    html = card_html(sample_card("plain words here"))
    parsed = _parse(html)
    for tag, attrs in parsed.tags:
        assert not (tag == "link" or "src" in attrs), (tag, attrs)
    assert "@import" not in html and "url(" not in html and "@font-face" not in html
    assert "not yet fact-checked" in html  # no actual label: said so, never the prediction


@pytest.mark.parametrize(
    ("url", "linked"),
    [("https://example.org/check?a=1&b=2", True), ("javascript:alert(1)", False), ("data:text/html,x", False)],
)
def test_only_http_source_links(url: str, linked: bool) -> None:
    parsed = _parse(card_html(sample_card("w", source_url=url)))
    hrefs = [attrs.get("href") for tag, attrs in parsed.tags if tag == "a"]
    assert hrefs == ([url] if linked else [])


def test_render_writes_each_format_atomically(tmp_path: Path) -> None:
    card = sample_card("a $5 billion wall 😀 <b>bold</b> " + "word " * 120)
    files = render_card(card, tmp_path, ("json", "png", "html"))
    assert set(files) == {"json", "png", "html"}
    assert all(p.name == f"statement-7__model-3.{fmt}" for fmt, p in files.items())
    assert json.loads(files["json"].read_text(encoding="utf-8")) == card
    png = files["png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 1200 and height > 300  # 120 words wrap onto several lines
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files.values())  # no temp files
    render_card(card, tmp_path, ("json",))  # overwriting is fine
    assert len(list(tmp_path.iterdir())) == 3


def test_free_text_is_named_by_its_hash_and_formats_are_checked(tmp_path: Path) -> None:
    card = sample_card("free text", statement_id=None)
    assert card_stem(card).startswith("text-") and card_stem(card).endswith("__model-3")
    assert card_stem(card) != card_stem(sample_card("other text", statement_id=None))
    with pytest.raises(ConfigError, match="unknown card format 'pdf'"):
        render_card(card, tmp_path, ("json", "pdf"))
