"""Transcripts: the 2015-16 campaign corpus, 2019-20 rally speeches, Miller Center presidential speeches.

Each file's date (and kind) comes from its name. Where a file marks speaker turns (``DONALD TRUMP:``,
``THE PRESIDENT:``, ``Q:``) only the target speaker's turns are kept; a file without any label is all
the speaker's. Turns are split into statements (``split: chunk``, the default: runs of whole sentences
of at least ``chunk_words`` words, the fact-check lists' granularity; ``sentence``: one sentence each;
``utterance``: one paragraph each) and statements outside ``min_words..max_words`` are skipped
(counted). A file whose name does not carry a date, or whose bytes are not UTF-8, becomes one reject.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from deep_classiflie.config.ingest import IngestConfig, TranscriptsConfig
from deep_classiflie_db.ingest.readers import MONTHS, bad_utf8, decode, printable
from deep_classiflie_db.ingest.records import Reject, Skip, StatementRecord

Item = StatementRecord | Reject | Skip

# An upper-case speaker label at the start of a line ("DONALD TRUMP:", "DR. FAUCI:", "Q:").
_LABEL = re.compile(r"^([A-Z][A-Z0-9 .,'’&/-]{0,60}):\s*")
# A sentence ends at . ! ? (maybe closed by a quote or bracket) followed by space and a capital, digit or quote.
_SENT_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’')\]]))\s+(?=[\"“‘'(\[]?[A-Z0-9])")
# Words whose final dot does not end a sentence (single initials are handled separately).
_ABBREVS = frozenset(
    [
        "Mr.",
        "Mrs.",
        "Ms.",
        "Dr.",
        "St.",
        "Jr.",
        "Sr.",
        "Gen.",
        "Sen.",
        "Rep.",
        "Gov.",
        "Lt.",
        "Col.",
        "Sgt.",
        "Capt.",
        "Prof.",
        "Rev.",
        "vs.",
        "No.",
        "Mt.",
        "Ft.",
        "Inc.",
        "Co.",
        "U.S.",
        "U.N.",
        "U.K.",
        "D.C.",
        "a.m.",
        "p.m.",
    ]
)
_CAMPAIGN_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2})\.(\d{2})\.(\d{2}) \(([^)]*)\) (.+?)\.txt$")
_RALLY_NAME = re.compile(r"^([A-Za-z-]+?)([A-Z][a-z]{2})[a-z]*(\d{1,2})_(\d{4})\.txt$")
_MILLER_NAME = re.compile(r"^Trump_speech_(\d+)_([A-Z][a-z]+ \d{1,2}, \d{4}): (.+?)\.txt$")
_CITY_FIXES = {"Colorador Springs": "Colorado Springs"}  # a typo in the published file name
_CAMPAIGN_TYPES = {
    "speech": "speech",
    "interview": "interview",
    "statement": "statement",
    "press conference": "press_conference",
    "town hall": "town_hall",
    "debate": "debate",
    "advertisement": "advertisement",
}


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph; common abbreviations (Mr., U.S., initials) do not end a sentence."""
    out: list[str] = []
    for piece in _SENT_END.split(paragraph.strip()):
        if not piece:
            continue
        if out and out[-1].endswith("."):
            last = out[-1].rsplit(" ", 1)[-1]
            if last in _ABBREVS or (len(last) == 2 and last[0].isupper()):
                out[-1] = f"{out[-1]} {piece}"
                continue
        out.append(piece)
    return out


def split_chunks(paragraph: str, *, targets: Sequence[int], max_words: int, key: str = "") -> list[tuple[str, str]]:
    """(id suffix, text) of runs of whole sentences of ``paragraph``, each of at least a target's words.

    Greedy: sentences are added until the run reaches its target; a shorter tail joins the run before
    it when the two stay within ``max_words`` (a turn that runs on becomes several statements of about
    a fact-checked claim's length, a short answer stays one). Each run's target is picked from
    ``targets`` by a hash of ``key`` and the run's first sentence, so the lengths spread like the
    claims' (not all near one value) and the same input always gives the same runs. The suffix ``a-b``
    names the sentences a run spans.
    """
    sents = split_sentences(paragraph)
    runs: list[tuple[int, int, int]] = []  # (first sentence, last sentence, words)

    def target(first: int) -> int:
        digest = hashlib.blake2b(f"{key}#{first}".encode("utf-8", errors="surrogateescape"), digest_size=4)
        return targets[int.from_bytes(digest.digest(), "big") % len(targets)]

    start, words, goal = 0, 0, target(0)
    for i, sent in enumerate(sents):
        words += len(sent.split())
        if words >= goal:
            runs.append((start, i, words))
            start, words, goal = i + 1, 0, target(i + 1)
    if start < len(sents):
        if runs and runs[-1][2] + words <= max_words:
            first, _, n = runs.pop()
            runs.append((first, len(sents) - 1, n + words))
        else:
            runs.append((start, len(sents) - 1, words))
    return [(f"{a}-{b}", " ".join(sents[a : b + 1])) for a, b, _ in runs]


def split_turn(paragraph: str, cfg: TranscriptsConfig, key: str = "") -> list[tuple[str, str]]:
    """(id suffix, text) of the statements of one kept paragraph, by ``cfg.split`` (``key``: see split_chunks)."""
    if cfg.split == "utterance":
        return [("0", paragraph)]
    if cfg.split == "chunk":
        return split_chunks(paragraph, targets=cfg.chunk_words, max_words=cfg.max_words, key=key)
    return [(str(i), s) for i, s in enumerate(split_sentences(paragraph))]


def speaker_turns(text: str, labels: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(paragraph index, paragraph) of the target speaker.

    1) the file labels the target's turns: follow turns; an unlabelled paragraph continues the current
       speaker, and text before the first label (an introduction) is left out;
    2) the file labels only others (a speech with ``Q:`` questions): a labelled paragraph is the other
       speaker's, every unlabelled one is the target's;
    3) no labels: the whole text is the target's.
    """
    wanted = {label.strip().upper() for label in labels}
    paragraphs = [p.strip() for p in text.splitlines()]
    found = {m.group(1).strip().upper() for p in paragraphs if p and (m := _LABEL.match(p))}
    follow_turns = bool(found & wanted)
    current: str | None = None if follow_turns else "*"
    for i, para in enumerate(paragraphs):
        if not para:
            continue
        m = _LABEL.match(para) if found else None
        if m is not None:
            current = m.group(1).strip().upper()
            para = para[m.end() :].strip()
        elif not follow_turns:
            current = "*"
        if para and (current == "*" or current in wanted):
            yield i, para


def statements_of(
    text: str,
    *,
    doc_id: str,
    doc: str,
    date: dt.datetime | None,
    statement_type: str,
    config: IngestConfig,
    meta: dict[str, Any] | None = None,
) -> Iterator[StatementRecord | Skip]:
    """Statements of one transcript (ids ``doc_id:paragraph.unit``, stable under the word filter)."""
    turns = speaker_turns(text, config.transcripts.speaker_labels)
    yield from statements_of_turns(
        turns, doc_id=doc_id, doc=doc, date=date, statement_type=statement_type, config=config, meta=meta
    )


def statements_of_turns(
    turns: Iterable[tuple[int | str, str]],
    *,
    doc_id: str,
    doc: str,
    date: dt.datetime | None,
    statement_type: str,
    config: IngestConfig,
    meta: dict[str, Any] | None = None,
    meta_of: Callable[[int | str], dict[str, Any] | None] | None = None,
) -> Iterator[StatementRecord | Skip]:
    """Statements of the target speaker's ``(paragraph id, paragraph)`` turns of one document.

    ``meta_of(paragraph id)`` may add keys for the statements of one paragraph (e.g. the fact-checked
    claims located on that line).
    """
    cfg: TranscriptsConfig = config.transcripts
    doc_meta = {"doc": doc, **(meta or {})}  # one dict for the whole document (the writer encodes it once)
    found = False
    for para_no, para in turns:
        extra = meta_of(para_no) if meta_of is not None else None
        para_meta = {**doc_meta, **extra} if extra else doc_meta
        for unit_no, unit in split_turn(para, cfg, key=f"{doc_id}:{para_no}"):
            found = True
            n = len(unit.split())
            if n < cfg.min_words or n > cfg.max_words:
                yield Skip(f"{doc}#{para_no}.{unit_no}", f"outside {cfg.min_words}..{cfg.max_words} words")
                continue
            yield StatementRecord(
                external_id=f"{doc_id}:{para_no}.{unit_no}",
                text=unit,
                statement_date=date,
                statement_type=statement_type,
                meta=para_meta,
                speaker=config.speaker,
            )
    if not found:
        # A file with nothing of the speaker in it is reported, not silently passed over.
        yield Skip(doc, "no text of the target speaker")


def doc_id_of(date: dt.datetime | None, name: str) -> str:
    stamp = date.strftime("%Y%m%d") if date else "nodate"
    return f"{stamp}_{hashlib.sha1(name.encode('utf-8', errors='surrogateescape')).hexdigest()[:10]}"


def read_text(name: str, data: bytes) -> str | Reject:
    text = decode(data)
    if bad_utf8(text):
        return Reject(name, "invalid UTF-8", printable(text[:2000]))
    return text


def parse_campaign_corpus(files: Iterable[tuple[str, bytes]], *, config: IngestConfig) -> Iterator[Item]:
    """Campaign corpus 2015-16: ``YYYY-MM-DD HH.MM.SS (Completeness, As spoken) Genre, title….txt``."""
    files = list(files)
    spoken = set()
    for name, _ in files:
        m = _CAMPAIGN_NAME.match(name)
        if m and "as spoken" in m.group(5).lower():
            spoken.add((m.group(1, 2, 3, 4), m.group(6)))
    for name, data in files:
        m = _CAMPAIGN_NAME.match(name)
        if m is None:
            yield Reject(name, "file name is not 'YYYY-MM-DD HH.MM.SS (Completeness, Version) Genre, title.txt'", None)
            continue
        status = [s.strip() for s in m.group(5).split(",")]
        version = status[1] if len(status) > 1 else None
        if (
            config.transcripts.prefer_as_spoken
            and version == "As written"
            and (m.group(1, 2, 3, 4), m.group(6)) in spoken
        ):
            yield Skip(name, "as-written duplicate of an as-spoken transcript")
            continue
        text = read_text(name, data)
        if isinstance(text, Reject):
            yield text
            continue
        year, month, day = (int(x) for x in m.group(1).split("-"))
        hour, minute, second = (int(x) for x in m.group(2, 3, 4))
        try:
            date = dt.datetime(year, month, day, hour, minute, second)
        except ValueError:
            yield Reject(name, f"impossible date or time in the file name: {m.group(1)} {m.group(2, 3, 4)}", None)
            continue
        genre = m.group(6).split(",", 1)[0].lower()
        kind = next((v for k, v in _CAMPAIGN_TYPES.items() if genre.startswith(k)), "statement")
        meta = {"completeness": status[0], "version": version} if version else {"completeness": status[0]}
        yield from statements_of(
            text, doc_id=doc_id_of(date, name), doc=name, date=date, statement_type=kind, config=config, meta=meta
        )


def rally_date(name: str) -> tuple[dt.datetime, str] | None:
    """``BattleCreekDec19_2019.txt`` → (2019-12-19, "Battle Creek"); None when the name has no date."""
    m = _RALLY_NAME.match(name)
    if m is None or m.group(2).lower() not in MONTHS:
        return None
    try:
        date = dt.datetime(int(m.group(4)), MONTHS[m.group(2).lower()], int(m.group(3)))
    except ValueError:
        return None
    city = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", m.group(1))
    return date, _CITY_FIXES.get(city, city)


def parse_rally_speeches(files: Iterable[tuple[str, bytes]], *, config: IngestConfig) -> Iterator[Item]:
    """Rally speeches 2019-20: no speaker labels, date and city in the file name."""
    for name, data in files:
        parsed = rally_date(name)
        if parsed is None:
            yield Reject(name, "file name is not '<City><Mon><D>_<YYYY>.txt'", None)
            continue
        text = read_text(name, data)
        if isinstance(text, Reject):
            yield text
            continue
        date, city = parsed
        yield from statements_of(
            text,
            doc_id=doc_id_of(date, name),
            doc=name,
            date=date,
            statement_type="rally",
            config=config,
            meta={"city": city},
        )


def miller_type(title: str) -> str:
    """Statement type from a Miller Center title."""
    t = title.lower()
    for key, kind in (
        ("rally", "rally"),
        ("press conference", "press_conference"),
        ("briefing", "press_conference"),
        ("remarks", "remarks"),
        ("statement", "statement"),
        ("message", "statement"),
    ):
        if key in t:
            return kind
    return "speech"


def _dated_name(
    pattern: re.Pattern[str], name: str, *, group: int, fmt: str
) -> tuple[re.Match[str] | None, dt.datetime | None]:
    """A file name's match of ``pattern`` and the date in its ``group`` (None for either when they do not parse)."""
    m = pattern.match(name)
    if m is None:
        return None, None
    try:
        return m, dt.datetime.strptime(m.group(group), fmt)
    except ValueError:
        return m, None


def parse_miller_center(files: Iterable[tuple[str, bytes]], *, config: IngestConfig) -> Iterator[Item]:
    """Miller Center speeches: ``Trump_speech_<i>_<Month D, YYYY>: <Title>.txt``; some mark ``THE PRESIDENT:``."""
    for name, data in files:
        m, date = _dated_name(_MILLER_NAME, name, group=2, fmt="%B %d, %Y")
        if m is None or date is None:
            yield Reject(name, "file name is not 'Trump_speech_<i>_<Month D, YYYY>: <Title>.txt'", None)
            continue
        text = read_text(name, data)
        if isinstance(text, Reject):
            yield text
            continue
        yield from statements_of(
            text,
            doc_id=doc_id_of(date, name),
            doc=name,
            date=date,
            statement_type=miller_type(m.group(3)),
            config=config,
            meta={"title": m.group(3)},
        )


_MILLER_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+?)\.txt$")
_PRESIDENT_LINE = re.compile(r"^President: *(.+)$")


def parse_miller_2017_2018(files: Iterable[tuple[str, bytes]], *, config: IngestConfig) -> Iterator[Item]:
    """Miller Center speeches 2017-18 as ``YYYY-MM-DD-<slug>.txt``, opened by a ``President: <name>`` line;
    some mark ``THE PRESIDENT:`` / ``TRUMP:`` turns among ``AUDIENCE:`` chants and hosts' questions."""
    for name, data in files:
        m, date = _dated_name(_MILLER_DATED, name, group=1, fmt="%Y-%m-%d")
        if m is None or date is None:
            yield Reject(name, "file name is not 'YYYY-MM-DD-<slug>.txt'", None)
            continue
        text = read_text(name, data)
        if isinstance(text, Reject):
            yield text
            continue
        first, _, rest = text.partition("\n")
        president = _PRESIDENT_LINE.match(first.strip())
        if president is not None:
            if president.group(1).strip() != config.speaker:
                yield Skip(name, f"a speech of {president.group(1).strip()}, not {config.speaker}")
                continue
            text = rest  # the header line is not part of the speech
        title = m.group(2).replace("-", " ")
        yield from statements_of(
            text,
            doc_id=doc_id_of(date, name),
            doc=name,
            date=date,
            statement_type=miller_type(title),
            config=config,
            meta={"title": title, "origin": "millercenter.org"},
        )
