"""Interview transcripts 2017-18: factba.se turns (dated by a manifest) and the Presidency Project's JSONL.

``factbase_interviews``: ``txt/*.txt`` files hold one ``<Speaker> <Sentiment> text`` turn a line and
mix several interviews, so only the line ranges of ``manifest.csv`` are read, each dated by it; of
those, only lines of speaker ``ingest.speaker`` outside played clips. A turn repeated verbatim in two
segments (one interview filed twice) is stored once. Statements on a line the manifest names as
holding a Toronto Star claim carry ``meta.star_numbers``.

``presidency_project``: ``documents.jsonl``, one document a line (kind, date, title, url, text) in
three labelling styles: ``Name:`` paragraphs joined by ``\\n,``; APP house style ``Name.`` (Trump's
opening statement of a news conference unlabelled); whitehouse.gov style ``NAME:`` written inline.
Weekly addresses are Trump's alone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest.readers import checked_rows, csv_rows, decode, read_header
from deep_classiflie_db.ingest.records import Item, Reject, Skip
from deep_classiflie_db.ingest.transcripts import doc_id_of, read_text, statements_of_turns

MANIFEST = "manifest.csv"
_TURN = re.compile(r"^<([^<>]*)> <(Positive|Negative|Neutral)> ?(.*)$")
_CLIP_START = re.compile(r"\[(?:Begin (?:Video )?Clip|Video Clip|Clip)\]", re.I)
_CLIP_END = re.compile(r"\[End (?:Video )?Clip\]", re.I)
_BRACKETED = re.compile(r"\[[^\[\]]*\]")
_SEGMENT = re.compile(r"^(\d+)-(\d+)$")
APP_TYPES = {"interview": "interview", "weekly_address": "weekly_address", "news_conference": "press_conference"}
# Trump's labels in the Presidency Project texts (upper-cased), beside ingest.transcripts.speaker_labels;
# one whitehouse.gov text misspells it.
APP_TRUMP_LABELS = frozenset({"THE PRESIDENT", "PRESIDENT TRUMP", "PRESDIDENT TRUMP", "PRESIDENT DONALD J. TRUMP"})
# "Name:" at a paragraph start (not a time such as "10:30"), and the inline whitehouse.gov "NAME:".
_COLON_LABEL = re.compile(r"^((?:Mr\.|Mrs\.|Ms\.|Dr\.)? ?[A-Z][\w'’.-]*(?: [A-Z&][\w'’.-]*){0,4}):\s+")
_CAPS_LABEL = re.compile(r"(?<![\w'’])((?:[A-Z][A-Z.'’-]*\s){0,4}(?:Q|[A-Z][A-Z.'’-]+)):\s+")
# APP house style "The President." / "Mr. Katz." / "Prime Minister May." / "Q." at a paragraph start.
_PERIOD_LABEL = re.compile(r"^((?:(?:Mr|Mrs|Ms|Dr)\. )?[A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,4})\.\s+")
_TITLES = re.compile(
    r"^(?:The President|President|Vice President|Prime Minister|Chancellor|King|Queen|Crown Prince|Secretary|"
    r"Secretary General|General|Governor|Senator|Speaker|Mr|Mrs|Ms|Dr|Q)\b"
)
_NOTE = re.compile(r"^\s*[\[(][^\])]*[\])]\s*$")  # a paragraph that is only a bracketed note


def _manifest_rows(data: bytes) -> Iterator[tuple[str, dict[str, str] | Reject]]:
    """(location, row by column name | Reject) per manifest record."""
    rows = csv_rows(decode(data), name=MANIFEST)
    header, _ = read_header(rows, MANIFEST, ("file", "segment", "date"))
    keys = [h.strip().lower() for h in header]
    for _, loc, _raw, row in checked_rows(rows, name=MANIFEST, width=len(header)):
        yield loc, row if isinstance(row, Reject) else {k: v.strip() for k, v in zip(keys, row, strict=True)}


def claim_lines(row: dict[str, str]) -> dict[int, list[int]]:
    """Line number → the Star claim numbers the manifest locates on it (``star_numbers``/``claim_lines``)."""
    numbers = [n for n in row.get("star_numbers", "").split(";") if n.strip()]
    lines = [n for n in row.get("claim_lines", "").split(";") if n.strip()]
    out: dict[int, list[int]] = {}
    for number, line in zip(numbers, lines, strict=False):
        if number.strip().isdigit() and line.strip().isdigit():
            out.setdefault(int(line), []).append(int(number))
    return out


def factbase_turns(lines: list[str], first: int, last: int, speaker: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, text) of ``speaker``'s turns in lines ``first..last``, outside played clips."""
    in_clip = False
    for no in range(first, min(last, len(lines)) + 1):
        m = _TURN.match(lines[no - 1])
        if m is None:
            continue
        text = m.group(3)
        starts, ends = _CLIP_START.search(text), _CLIP_END.search(text)
        clip_line = in_clip or starts is not None
        if starts is not None and (ends is None or ends.start() < starts.start()):
            in_clip = True
        if ends is not None and (starts is None or ends.start() > starts.start()):
            in_clip = False
        # A clip plays someone's older words (often Trump's own): not this interview's statements.
        text = _BRACKETED.sub(" ", text)  # [Crosstalk], [Inaudible]: notes, not words
        if m.group(1).strip() == speaker and not clip_line and text.strip():
            yield no, text


def parse_factbase(files: Iterable[tuple[str, bytes]], *, config: IngestConfig) -> Iterator[Item]:
    """factba.se interviews: the manifest's dated segments, Trump's turns only, deduplicated by text."""
    by_name = dict(files)
    if MANIFEST not in by_name:
        raise DataSourceError(
            f"no {MANIFEST} among the factba.se files",
            hint="give the folder holding manifest.csv and txt/ (factbase_trump_interviews_2017_2018)",
        )
    used = {MANIFEST}
    seen_text: set[str] = set()
    texts: dict[str, list[str] | Reject] = {}
    for loc, row in _manifest_rows(by_name[MANIFEST]):
        if isinstance(row, Reject):
            yield row
            continue
        name, seg = row["file"], _SEGMENT.match(row["segment"])
        try:
            date = dt.datetime.strptime(row["date"], "%Y-%m-%d")
        except ValueError:
            yield Reject(loc, f"unparseable date {row['date']!r} (expected YYYY-MM-DD)", None)
            continue
        if seg is None or name not in by_name:
            why = "segment is not 'first-last'" if seg is None else f"file {name!r} not found"
            yield Reject(loc, why, None)
            continue
        used.add(name)
        if name not in texts:
            text = read_text(name, by_name[name])
            texts[name] = text if isinstance(text, Reject) else text.split("\n")
        lines = texts[name]
        if isinstance(lines, Reject):
            yield Reject(f"{name}:{row['segment']}", lines.reason, None)
            continue
        doc = f"{name}:{row['segment']}"
        located = claim_lines(row)
        meta = {"segment": row["segment"], "place": row.get("star_place", ""), "origin": "factba.se"}
        turns = []
        for no, text in factbase_turns(lines, int(seg.group(1)), int(seg.group(2)), config.speaker):
            key = " ".join(text.split()).lower()
            if len(key.split()) >= 8 and key in seen_text:
                yield Skip(f"{doc}#{no}", "turn already read from another segment (same interview filed twice)")
                continue
            seen_text.add(key)
            turns.append((no, text))
        yield from statements_of_turns(
            turns,
            doc_id=doc_id_of(date, doc),
            doc=doc,
            date=date,
            statement_type="interview",
            config=config,
            meta=meta,
            meta_of=_located_meta(located),
        )
    for name in sorted(set(by_name) - used):
        yield Skip(name, "not a transcript named in manifest.csv")


def _located_meta(located: dict[int, list[int]]) -> Callable[[int | str], dict[str, Any] | None]:
    """``meta_of`` for one segment: the Star claims the manifest locates on a line."""
    return lambda no: {"star_numbers": located[no]} if isinstance(no, int) and no in located else None


def app_paragraphs(text: str, kind: str) -> list[str]:
    """Paragraphs of a Presidency Project text: news conferences are joined by two spaces, the rest by
    ``\\n,`` (or by a bare ``,`` in front of a ``Name:`` label when the newlines are missing)."""
    if kind == "news_conference":
        parts = re.split(r" {2,}|\n+", text)
    elif "\n," in text or "\n" in text:
        parts = re.split(r"\n,?", text)
    else:
        parts = re.split(r",(?=(?:Mr\.|Mrs\.|Ms\.)? ?[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,4}:\s)", text)
    return [p.strip() for p in parts if p.strip()]


def label_style(paragraphs: list[str]) -> str:
    """``caps`` (inline ``NAME:``), ``colon`` (``Name:``), ``period`` (``Name.``) or ``none``."""
    caps = sum(1 for p in paragraphs for m in _CAPS_LABEL.finditer(p) if m.group(1).upper() in APP_TRUMP_LABELS)
    colon = sum(1 for p in paragraphs if (m := _COLON_LABEL.match(p)) and m.group(1).upper() in APP_TRUMP_LABELS)
    period = sum(1 for p in paragraphs if (m := _PERIOD_LABEL.match(p)) and m.group(1).upper() in APP_TRUMP_LABELS)
    if caps and caps >= colon:
        return "caps"
    if colon:
        return "colon"
    return "period" if period else "none"


def _period_label(para: str, common: set[str]) -> re.Match[str] | None:
    m = _PERIOD_LABEL.match(para)
    # A label is a title (The President, Prime Minister May, Q, Mr. Katz) or a name used as one several
    # times; a short sentence such as "Okay." or "Thank you." is not.
    if m is None or not (_TITLES.match(m.group(1)) or m.group(1) in common):
        return None
    return m


def app_turns(paragraphs: list[str], kind: str, labels: Iterable[str]) -> Iterator[tuple[int | str, str]]:
    """(paragraph index, text) of Trump's turns in one document's paragraphs.

    Weekly addresses (no labels) are all Trump's. Text before the first label is Trump's in APP-style
    news conferences (his opening statement) and nobody's known otherwise (an introduction, or, in a
    whitehouse.gov text, another leader's statement).
    """
    wanted = {label.strip().upper() for label in labels} | APP_TRUMP_LABELS
    style = label_style(paragraphs)
    if style == "none":
        if kind == "weekly_address":
            yield from ((i, _BRACKETED.sub(" ", p).strip()) for i, p in enumerate(paragraphs) if not _NOTE.match(p))
        return
    current: str | None = "THE PRESIDENT" if (style == "period" and kind == "news_conference") else None
    starts: dict[str, int] = {}
    for p in paragraphs:
        if (m := _PERIOD_LABEL.match(p)) is not None:
            starts[m.group(1)] = starts.get(m.group(1), 0) + 1
    common = {k for k, n in starts.items() if n >= 3 and " " not in k.strip() and len(k) > 3}
    for i, para in enumerate(paragraphs):
        if _NOTE.match(para):
            continue
        pieces: list[tuple[str | None, str]]
        if style == "caps":
            cuts = list(_CAPS_LABEL.finditer(para))
            pieces = [(None, para[: cuts[0].start()] if cuts else para)]
            for n, m in enumerate(cuts):
                end = cuts[n + 1].start() if n + 1 < len(cuts) else len(para)
                pieces.append((m.group(1), para[m.end() : end]))
        else:
            m = _COLON_LABEL.match(para) if style == "colon" else _period_label(para, common)
            pieces = [(m.group(1), para[m.end() :])] if m is not None else [(None, para)]
        for k, (label, text) in enumerate(pieces):
            if label is not None:
                current = label.strip().upper()
            text = _BRACKETED.sub(" ", text).strip()
            if text and current in wanted:
                yield (i if k == 0 else f"{i}+{k}"), text


def parse_presidency_project(files: Iterable[tuple[str, bytes]], *, config: IngestConfig) -> Iterator[Item]:
    """Presidency Project JSONL: one document a line; Trump's turns of every kind."""
    for name, data in files:
        text = read_text(name, data)
        if isinstance(text, Reject):
            yield text
            continue
        for line_no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            loc = f"{name}:{line_no}"
            try:
                doc: Any = json.loads(line)
            except ValueError as exc:
                yield Reject(loc, f"not a JSON object: {exc}", line[:2000])
                continue
            if not isinstance(doc, dict) or not all(
                isinstance(doc.get(k), str) for k in ("id", "kind", "date", "text")
            ):
                yield Reject(loc, "needs string fields id, kind, date, text", line[:2000])
                continue
            kind = doc["kind"]
            try:
                date = dt.datetime.strptime(doc["date"][:10], "%Y-%m-%d")
            except ValueError:
                yield Reject(loc, f"unparseable date {doc['date']!r} (expected YYYY-MM-DD)", line[:2000])
                continue
            if kind not in APP_TYPES:
                yield Reject(loc, f"unknown kind {kind!r} (expected {', '.join(APP_TYPES)})", line[:2000])
                continue
            paragraphs = app_paragraphs(doc["text"], kind)
            meta = {"title": str(doc.get("title") or ""), "kind": kind, "origin": "presidency.ucsb.edu"}
            if doc.get("url"):
                meta["url"] = str(doc["url"])
            yield from statements_of_turns(
                app_turns(paragraphs, kind, config.transcripts.speaker_labels),
                doc_id=doc_id_of(date, doc["id"]),
                doc=doc["id"],
                date=date,
                statement_type=APP_TYPES[kind],
                config=config,
                meta=meta,
            )
