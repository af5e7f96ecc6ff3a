"""Pure helpers shared by the parsers: decoding, CSV rows with their original lines, dates, ids.

Input is bytes; invalid UTF-8 is kept as surrogate escapes so that one bad row becomes a reject with
its original line instead of failing the whole file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest.records import Reject, to_naive_utc

_BAD_UTF8 = re.compile("[\udc80-\udcff]")
# Some shared files hold long fields (FakeNewsNet's tweet id lists exceed the default 128 KiB).
FIELD_LIMIT = 1 << 26
MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d",
    "%m-%d-%Y",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%a %b %d %H:%M:%S %z %Y",
    "%B %d, %Y",
)


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped); undecodable bytes become surrogate escapes, found later by :func:`bad_utf8`."""
    text = data.decode("utf-8", errors="surrogateescape")
    return text[1:] if text.startswith("\ufeff") else text


def bad_utf8(text: str) -> bool:
    """True when ``text`` holds bytes that were not valid UTF-8."""
    return _BAD_UTF8.search(text) is not None


def printable(raw: str) -> str:
    """The original line for the rejects table: invalid bytes shown as ``\\xNN``."""
    if not bad_utf8(raw):
        return raw
    return raw.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")


def csv_rows(
    text: str, *, name: str, delimiter: str = ",", quoting: Any = csv.QUOTE_MINIMAL
) -> Iterator[tuple[int, str, list[str] | None, str | None]]:
    """Yield ``(line number, original text, fields, error)`` per CSV record; blank lines are not records.

    The original text is collected from the lines the csv module consumed, so a record spanning
    several lines (a quoted newline) comes back whole. ``fields`` is None when ``error`` says why.
    """
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter, quoting=quoting, strict=False)
    start = 1
    while True:
        try:
            fields = next(reader)
            error = None
        except StopIteration:
            return
        except csv.Error as exc:
            fields, error = None, f"CSV error: {exc}"
        raw = "".join(consumed)
        consumed.clear()
        line_no, start = start, reader.line_num + 1
        if error is None and fields is not None and not any(fields) and not raw.strip():
            continue
        yield line_no, raw, fields, error


def header_index(header: Sequence[str], required: Sequence[str], *, name: str, fix: str) -> dict[str, int]:
    """Column positions by lower-case name; a missing required column is a DataSourceError."""
    index = {h.strip().lower(): i for i, h in enumerate(header)}
    missing = [c for c in required if c.lower() not in index]
    if missing:
        raise DataSourceError(
            f"{name}: missing column(s) {', '.join(missing)} (found: {', '.join(h.strip() for h in header)[:300]})",
            hint=fix,
        )
    return index


def read_header(
    rows: Iterator[tuple[int, str, list[str] | None, str | None]],
    name: str,
    required: Sequence[str],
    *,
    fix: str = "give the file as published (a CSV with its header row)",
) -> tuple[list[str], dict[str, int]]:
    """Read the header row of ``csv_rows``: a missing or unreadable header, or a missing column, is a DataSourceError."""
    first = next(rows, None)
    if first is None or first[2] is None or bad_utf8(first[1]):
        raise DataSourceError(f"{name} has no readable header row", hint=fix)
    return first[2], header_index(first[2], required, name=name, fix=fix)


def checked_rows(
    rows: Iterable[tuple[int, str, list[str] | None, str | None]], *, name: str, width: int
) -> Iterator[tuple[int, str, str, list[str] | Reject]]:
    """Per record of :func:`csv_rows`: (line number, location ``name:line``, original text, and the fields
    of a well-formed row or the Reject saying what is wrong with it)."""
    for line_no, raw, fields, error in rows:
        loc = f"{name}:{line_no}"
        if fields is None:
            yield line_no, loc, raw, Reject(loc, error or "unreadable row", printable(raw))
        elif bad_utf8(raw):
            yield line_no, loc, raw, Reject(loc, "invalid UTF-8", printable(raw))
        elif len(fields) != width:
            yield line_no, loc, raw, Reject(loc, f"expected {width} columns, found {len(fields)}", raw)
        else:
            yield line_no, loc, raw, fields


def parse_date(value: str, formats: Sequence[str] | None = None) -> dt.datetime | None:
    """Parse a date/time with the given strptime formats (default: common ISO, US and Twitter forms)."""
    value = value.strip()
    if not value:
        return None
    if formats is None:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    for fmt in formats or _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def twitter_date(value: str) -> dt.datetime | None:
    """``Wed Oct 10 20:19:24 +0000 2018`` → naive UTC, without strptime on the common ``+0000`` case."""
    parts = value.split()
    try:
        if len(parts) == 6 and parts[4] == "+0000":
            hh, mm, ss = parts[3].split(":")
            return dt.datetime(int(parts[5]), MONTHS[parts[1].lower()], int(parts[2]), int(hh), int(mm), int(ss))
    except (KeyError, ValueError):
        return None
    return to_naive_utc(parse_date(value, ("%a %b %d %H:%M:%S %z %Y",)))


def strip_outer_quotes(text: str) -> str:
    """Drop one pair of quotes around a whole quoted claim (``"We are…"`` → ``We are…``)."""
    t = text.strip()
    if len(t) >= 2 and t[0] in '"“' and t[-1] in '"”':
        return t[1:-1].strip()
    return t


def content_id(*parts: str, seen: dict[str, int]) -> str:
    """A stable id from content (survives re-ordered files); repeats within a file get ``~2``, ``~3``…"""
    base = hashlib.sha1("\x1f".join(parts).encode("utf-8", errors="surrogateescape")).hexdigest()[:16]
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}~{seen[base]}"
