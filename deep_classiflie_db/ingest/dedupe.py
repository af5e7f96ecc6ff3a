"""Filters that keep one copy of what two sources both hold (pure: the registry reads the store for them).

* :func:`skip_known_labels`: a label source overlapping another one (the Toronto Star list and its
  full version): a labelled statement whose (day, text hash) the other source already holds, or an
  earlier row of the same file holds, is skipped, so the same claim on the same day is one label.
* :func:`skip_same_events`: transcript folders that hold the same event (a factba.se interview and its
  Presidency Project transcript): a document sharing at least ``min_share`` of the target speaker's
  word 8-grams (of the smaller of the two: one may be an excerpt) and at least ``min_shared`` of them
  with a stored document of another source dated within ``days`` days is skipped whole (the
  transcripts of one event differ in wording, so statement hashes would not match).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from deep_classiflie.config.ingest import NormaliseConfig
from deep_classiflie.core.text import normalise, text_hash, word_grams
from deep_classiflie_db.ingest.records import Item, Skip, StatementRecord


@dataclass(frozen=True)
class StoredEvent:
    """A stored document of another source: where from, its day and its word 8-grams."""

    source: str
    doc: str
    day: dt.date
    grams: frozenset[int]


def label_key(record: StatementRecord, rules: NormaliseConfig) -> tuple[str, str] | None:
    """(ISO day, hash of the normalised text) of a dated record, as the store would hash it."""
    if record.statement_date is None:
        return None
    return record.statement_date.date().isoformat(), text_hash(normalise(record.text, rules))


def skip_known_labels(
    records: Iterable[Item], known: dict[tuple[str, str], str], *, rules: NormaliseConfig, where: str
) -> Iterator[Item]:
    """``records`` with every labelled statement already in ``known`` ((day, hash) → source) turned into a Skip."""
    seen: dict[tuple[str, str], str] = dict(known)
    for item in records:
        if isinstance(item, StatementRecord) and item.label is not None:
            key = label_key(item, rules)
            if key is not None:
                if key in seen:
                    # counted by reason, so the reason stays generic; the location names the earlier copy
                    yield Skip(f"{where}:{item.external_id} = {seen[key]}", "same claim and date already labelled")
                    continue
                seen[key] = f"{where} {item.external_id}"
        yield item


def stored_events(rows: Iterable[tuple[str, str, dt.datetime | None, str]]) -> list[StoredEvent]:
    """(source, doc, date, text) rows of stored statements → one :class:`StoredEvent` per (source, doc)."""
    texts: dict[tuple[str, str], list[str]] = {}
    days: dict[tuple[str, str], dt.date] = {}
    for source, doc, date, text in rows:
        if date is None:
            continue
        texts.setdefault((source, doc), []).append(text)
        days.setdefault((source, doc), date.date())
    return [StoredEvent(s, d, days[(s, d)], word_grams(t)) for (s, d), t in sorted(texts.items())]


def same_event(
    grams: frozenset[int],
    day: dt.date,
    events: Sequence[StoredEvent],
    *,
    days: int,
    min_share: float,
    min_shared: int = 20,
) -> tuple[StoredEvent, float] | None:
    """The stored event within ``days`` days sharing the largest part of the smaller 8-gram set (at least
    ``min_share`` of it and ``min_shared`` 8-grams) with ``grams``, or None."""
    if not grams:
        return None
    best: tuple[StoredEvent, float] | None = None
    for ev in events:
        if not ev.grams or abs((ev.day - day).days) > days:
            continue
        shared = len(grams & ev.grams)
        share = shared / min(len(grams), len(ev.grams))
        if shared >= min_shared and share >= min_share and (best is None or share > best[1]):
            best = (ev, share)
    return best


def skip_same_events(
    records: Iterable[Item], events: Sequence[StoredEvent], *, days: int = 7, min_share: float = 0.1
) -> Iterator[Item]:
    """``records`` with the statements of every document that repeats a stored event turned into Skips.

    A document's statements arrive together (``meta["doc"]``); they are held back until the document
    ends, then passed on or skipped as a whole. Rejects and skips pass straight through.
    """
    pending: list[StatementRecord] = []

    def flush() -> Iterator[Item]:
        if not pending:
            return
        first = pending[0]
        match = None
        if events and first.statement_date is not None:
            grams = word_grams(r.text for r in pending)
            match = same_event(grams, first.statement_date.date(), events, days=days, min_share=min_share)
        if match is None:
            yield from pending
        else:
            ev, share = match
            # the reason names the source only (skips are counted by reason); the location names the match
            where = f"{doc_of(first)} = {ev.source} {ev.doc} ({share:.0%} of 8-grams)"
            yield from (
                Skip(f"{where}#{r.external_id}", f"same event already stored from {ev.source}") for r in pending
            )
        pending.clear()

    for item in records:
        if isinstance(item, StatementRecord):
            if pending and doc_of(item) != doc_of(pending[0]):
                yield from flush()
            pending.append(item)
        else:
            yield item
    yield from flush()


def doc_of(record: StatementRecord) -> str:
    """The document a statement came from (``meta["doc"]``), else its id's document part."""
    doc = (record.meta or {}).get("doc")
    return str(doc) if doc else record.external_id.split(":", 1)[0]
