"""Live transcripts: a paged JSON index (factba.se's shape) and one HTML page per transcript.

Index page, newest first::

    {"meta": {"page": 1, "pages": 9}, "data": [
        {"id": 812, "date": "2020-01-15T14:05:00", "type": "Speech", "slug": "donald-trump-speech-…",
         "title": "…"}, …]}

A transcript page marks each turn (``turn_selector``) with its speaker (``speaker_selector``) and
text (``text_selector``); the kind of event (speech, remarks, interview…) is read from the page
(``type_selector``), else the index. Only the target speaker's turns are kept when turns are
marked; each turn becomes one statement, or several when it is longer than ``max_words``
(split at sentence ends); pieces shorter than ``min_words`` are dropped.

Incremental: only index entries newer than the watermark are fetched, oldest first, so a
transient failure stops the run with the watermark at the last transcript that was read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from bs4 import BeautifulSoup, Tag
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.config.ingest import NormaliseConfig, TranscriptsConfig
from deep_classiflie.config.scrape import TranscriptsLiveConfig
from deep_classiflie.core.errors import DataSourceError, FetchError
from deep_classiflie.core.text import normalise, word_count
from deep_classiflie_db.ingest.pipeline import IngestReport, Reject, Skip, SourceSpec, StatementRecord, run_ingest
from deep_classiflie_db.queries.ingest import last_watermark
from deep_classiflie_db.scrapers.common import parse_when, statement_date_watermark, statement_type_of
from deep_classiflie_db.scrapers.http import Fetcher, HttpStatusError, open_fetcher
from deep_classiflie_db.scrapers.policy import is_retryable_status

log = logging.getLogger(__name__)

SOURCE_NAME = "transcripts_live"
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


@dataclass(frozen=True)
class IndexEntry:
    """One transcript listed in the index."""

    id: str
    date: dt.datetime
    url: str
    type: str | None
    title: str | None


@dataclass(frozen=True)
class Turn:
    """One speaker turn of a transcript page (speaker is None where the page marks none)."""

    speaker: str | None
    text: str


def source_spec(cfg: TranscriptsLiveConfig) -> SourceSpec:
    """The store's record of this source."""
    return SourceSpec(name=SOURCE_NAME, kind="statement_stream", description="live transcripts", url=cfg.index_url)


# ---------------------------------------------------------------- pure parsing: index


def index_entries(
    payload: Any, *, cfg: TranscriptsLiveConfig, where: str
) -> tuple[list[IndexEntry | Reject], int | None]:
    """Entries of one index page (or Rejects for unreadable ones) and the total page count if given."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("data"), list):
        raise DataSourceError(
            f"{where}: expected a JSON object with a 'data' list",
            hint="check scrape.transcripts.index_url; the index format may have changed",
        )
    out: list[IndexEntry | Reject] = []
    for item in payload["data"]:
        raw = json.dumps(item, ensure_ascii=False, default=str)
        if not isinstance(item, Mapping):
            out.append(Reject(location=where, reason="index entry is not an object", raw=raw))
            continue
        when = parse_when(item.get("date"))
        link = item.get("url") or item.get("slug")
        if item.get("id") is None or when is None or not isinstance(link, str) or not link:
            out.append(Reject(location=where, reason="index entry lacks id, ISO date or url/slug", raw=raw))
            continue
        kind, title = item.get("type"), item.get("title")
        out.append(
            IndexEntry(
                id=str(item["id"]),
                date=when,
                url=str(httpx.URL(cfg.transcript_base_url).join(link)),
                type=kind if isinstance(kind, str) else None,
                title=title if isinstance(title, str) else None,
            )
        )
    meta = payload.get("meta")
    pages = meta.get("pages") if isinstance(meta, Mapping) else None
    return out, pages if isinstance(pages, int) else None


# ---------------------------------------------------------------- pure parsing: transcript page


def page_turns(html: str, cfg: TranscriptsLiveConfig) -> tuple[list[Turn], str | None]:
    """Speaker turns of a transcript page, in order, and the page's event type if it names one."""
    soup = BeautifulSoup(html, "html.parser")
    turns: list[Turn] = []
    for node in soup.select(cfg.turn_selector):
        label = node.select_one(cfg.speaker_selector)
        body = node.select_one(cfg.text_selector)
        text = (body or node).get_text(" ", strip=True)
        speaker = label.get_text(" ", strip=True) if label else None
        if text:
            turns.append(Turn(speaker=speaker or None, text=text))
    return turns, _page_type(soup, cfg.type_selector)


def _page_type(soup: BeautifulSoup, selector: str) -> str | None:
    node = soup.select_one(selector)
    if not isinstance(node, Tag):
        return None
    content = node.get("content")
    value = content if isinstance(content, str) else node.get_text(" ", strip=True)
    return value or None


def _speaker_key(label: str) -> str:
    return " ".join(label.replace(":", " ").split()).casefold()


def target_turns(turns: list[Turn], speaker_labels: list[str]) -> list[Turn]:
    """The target speaker's turns where the page marks speakers; every turn where it marks none."""
    if not any(t.speaker for t in turns):
        return turns
    wanted = {_speaker_key(label) for label in speaker_labels}
    return [t for t in turns if t.speaker and _speaker_key(t.speaker) in wanted]


def split_statements(text: str, *, min_words: int, max_words: int) -> list[str]:
    """One turn → statements of ``min_words``..``max_words`` words.

    1) A turn that fits is one statement. 2) A longer one is cut at sentence ends and the
    sentences are packed greedily up to ``max_words``. 3) A single sentence longer than
    ``max_words`` and pieces shorter than ``min_words`` are dropped.
    """
    n = word_count(text)
    if n <= max_words:
        return [text] if n >= min_words else []
    out: list[str] = []
    chunk: list[str] = []
    size = 0
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        words = word_count(sentence)
        if not words:
            continue
        if size + words > max_words and chunk:
            out.append(" ".join(chunk))
            chunk, size = [], 0
        if words > max_words:
            continue
        chunk.append(sentence)
        size += words
    if chunk:
        out.append(" ".join(chunk))
    return [s for s in out if word_count(s) >= min_words]


def transcript_records(
    html: str,
    entry: IndexEntry,
    *,
    cfg: TranscriptsLiveConfig,
    rules: TranscriptsConfig,
    clean: NormaliseConfig,
    speaker: str,
) -> list[StatementRecord | Skip]:
    """The statements of one transcript page, and a Skip for every turn that yields none."""
    turns, page_type = page_turns(html, cfg)
    kind = statement_type_of(page_type or entry.type, default="transcript")
    kept = target_turns(turns, rules.speaker_labels)
    out: list[StatementRecord | Skip] = [
        Skip(location=entry.url, reason="another speaker's turn") for _ in range(len(turns) - len(kept))
    ]
    for turn_no, turn in enumerate(kept):
        pieces = split_statements(normalise(turn.text, clean), min_words=rules.min_words, max_words=rules.max_words)
        if not pieces:
            out.append(Skip(location=f"{entry.url}#{turn_no}", reason="turn outside min_words..max_words"))
        for piece_no, piece in enumerate(pieces):
            out.append(
                StatementRecord(
                    external_id=f"{entry.id}:{turn_no}:{piece_no}",
                    text=piece,
                    statement_date=entry.date,
                    statement_type=kind,
                    meta={"url": entry.url, "title": entry.title, "transcript_id": entry.id},
                    speaker=speaker,
                )
            )
    return out


# ---------------------------------------------------------------- fetching


def new_entries(
    fetcher: Fetcher, cfg: TranscriptsLiveConfig, *, cutoff: dt.datetime | None
) -> Iterator[IndexEntry | Reject]:
    """Index entries newer than ``cutoff``, paging newest first until an older one (or the last page)."""
    for page in range(cfg.first_page, cfg.first_page + cfg.max_pages):
        fetched = fetcher.get(cfg.index_url, params={cfg.page_param: page})
        entries, pages = index_entries(fetched.json(), cfg=cfg, where=fetched.url)
        reached_old = False
        for entry in entries:
            if isinstance(entry, IndexEntry) and cutoff is not None and entry.date <= cutoff:
                reached_old = True
                continue
            yield entry
        if not entries or reached_old or (pages is not None and page >= cfg.first_page + pages - 1):
            return


def is_transient(exc: FetchError) -> bool:
    """A failure worth retrying on the next run (server errors, rate limits, network), not a policy refusal."""
    if isinstance(exc, HttpStatusError):
        return is_retryable_status(exc.status)
    return isinstance(exc.__cause__, httpx.TransportError)


def fetch_records(fetcher: Fetcher, config: Config, *, since: str | None) -> Iterator[StatementRecord | Reject | Skip]:
    """Statements of every transcript newer than ``since``, read oldest first."""
    cfg = config.scrape.transcripts
    last = parse_when(since)
    cutoff = last - dt.timedelta(days=cfg.lookback_days) if last is not None else None
    entries: list[IndexEntry] = []
    for item in new_entries(fetcher, cfg, cutoff=cutoff):
        if isinstance(item, Reject):
            yield item
        else:
            entries.append(item)
    for entry in sorted(entries, key=lambda e: (e.date, e.id)):
        try:
            page = fetcher.get(entry.url)
        except FetchError as exc:
            yield Reject(location=entry.url, reason=exc.message, raw=None)
            if is_transient(exc):
                # Stop here: newer transcripts wait for the next run, so the watermark cannot skip this one.
                log.warning("stopping at %s (%s); the next run resumes from it", entry.url, exc.message)
                return
            continue
        yield from transcript_records(
            page.text,
            entry,
            cfg=cfg,
            rules=config.ingest.transcripts,
            clean=config.ingest.normalise,
            speaker=config.ingest.speaker,
        )


def scrape_transcripts(engine: Engine, config: Config, *, fetcher: Fetcher | None = None) -> IngestReport:
    """Fetch transcripts new since the last run and write their statements to the store."""
    cfg = config.scrape.transcripts
    since = last_watermark(engine, source_name=SOURCE_NAME)
    with fetcher or open_fetcher(config.scrape.http) as live:
        return run_ingest(
            engine,
            source=source_spec(cfg),
            records=fetch_records(live, config, since=since),
            config=config.ingest,
            location=cfg.index_url,
            watermark_of=statement_date_watermark,
        )
