"""Fact-check label sources: Toronto Star 2017-18, CNN 2019, and a generic CSV/JSON importer.

Each parser takes the file's bytes and yields one :class:`StatementRecord` (with its label) or one
:class:`Reject` per data row. A file without the expected columns is a DataSourceError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from deep_classiflie.config.ingest import GenericLabelsConfig, IngestConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest.readers import (
    bad_utf8,
    checked_rows,
    content_id,
    csv_rows,
    decode,
    parse_date,
    printable,
    read_header,
    strip_outer_quotes,
)
from deep_classiflie_db.ingest.records import LabelRecord, Reject, StatementRecord

Item = StatementRecord | Reject

# Toronto Star "placecategory" → statement type (a "rally" in the place wins over "Speeches").
TORONTO_STAR_TYPES = {
    "speeches": "speech",
    "interviews": "interview",
    "informal remarks at events": "remarks",
    "twitter": "tweet",
    "press conferences or scrums": "press_conference",
    "weekly addresses": "weekly_address",
    "facebook": "facebook_post",
    "statements": "statement",
}
# CNN "kind_of_forum" → statement type.
CNN_TYPES = {
    "tweet": "tweet",
    "rally": "rally",
    "speech": "speech",
    "interview": "interview",
    "remarks": "remarks",
    "press conference": "press_conference",
    "exchange with reporters": "exchange_with_reporters",
}
_HREF = re.compile(r"href=['\"]([^'\"]+)['\"]")
_QUOTE_START = ('"', "“", "‘", "'")


def toronto_star_type(place: str, category: str) -> str:
    """Statement type from the Toronto Star's place and place category."""
    if "rally" in place.lower():
        return "rally"
    if category.strip().lower() in TORONTO_STAR_TYPES:
        return TORONTO_STAR_TYPES[category.strip().lower()]
    if place.strip().lower() == "twitter":
        return "tweet"
    return "statement"


def parse_toronto_star(data: bytes, *, config: IngestConfig, name: str = "liar.csv") -> Iterator[Item]:
    """Toronto Star false claims (``liar.csv``): every row a falsehood, ``claim`` the quoted statement."""
    rows = csv_rows(decode(data), name=name)
    header, col = read_header(rows, name, ("number", "date", "place", "claim", "infact", "source", "placecategory"))
    for line_no, loc, raw, row in checked_rows(rows, name=name, width=len(header)):
        if isinstance(row, Reject):
            yield row
            continue
        date = parse_date(row[col["date"]], ("%m-%d-%Y",))
        if date is None:
            yield Reject(loc, f"unparseable date {row[col['date']]!r} (expected M-D-YYYY)", raw)
            continue
        place, category = row[col["place"]].strip(), row[col["placecategory"]].strip()
        meta = {"place": place, "place_category": category}
        for extra in ("slug", "repeat", "category1", "category2", "category3", "category4"):
            if extra in col and row[col[extra]].strip():
                meta[extra] = row[col[extra]].strip()
        yield StatementRecord(
            external_id=row[col["number"]].strip() or f"line{line_no}",
            text=strip_outer_quotes(row[col["claim"]]),
            statement_date=date,
            statement_type=toronto_star_type(place, category),
            meta=meta,
            speaker=config.speaker,
            label=LabelRecord(
                rating_source="toronto_star",
                source_label="false",
                label_class=1,
                correction=row[col["infact"]].strip() or None,
                url=row[col["source"]].strip() or None,
            ),
        )


def parse_toronto_star_full(data: bytes, *, config: IngestConfig, name: str = "claims.csv") -> Iterator[Item]:
    """The full Toronto Star list (``claims.csv``, to 2018-12-01): the ``liar.csv`` columns, its own numbering.

    A row repeating an earlier row's claim on the same day (one quote the Star counted as several false
    claims) is skipped: the same statement and date is one label. Rows the older ``liar.csv`` already
    holds are skipped by the registry's label filter (against the ``toronto_star`` source).
    """
    for item in parse_toronto_star(data, config=config, name=name):
        if isinstance(item, StatementRecord):
            item.meta = {**(item.meta or {}), "list": "full"}
        yield item


def parse_cnn(data: bytes, *, config: IngestConfig, name: str = "fcheck_temp.csv") -> Iterator[Item]:
    """CNN "Facts First" false claims; a claim that describes rather than quotes is flagged in meta."""
    rows = csv_rows(decode(data), name=name)
    header, col = read_header(rows, name, ("date", "forum", "kind_of_forum", "claim", "fact_check", "source_article"))
    seen: dict[str, int] = {}
    for _, loc, raw, row in checked_rows(rows, name=name, width=len(header)):
        if isinstance(row, Reject):
            yield row
            continue
        date = parse_date(row[col["date"]], ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S"))
        if date is None:
            yield Reject(loc, f"unparseable date {row[col['date']]!r} (expected YYYY-MM-DD)", raw)
            continue
        claim = row[col["claim"]].strip()
        forum, kind = row[col["forum"]].strip(), row[col["kind_of_forum"]].strip().lower()
        href = _HREF.search(row[col["source_article"]])
        meta: dict[str, Any] = {"forum": forum, "kind_of_forum": kind.upper()}
        # Some cells describe the claim ("On September 29, Trump posted…") instead of quoting it.
        meta["claim_form"] = "quote" if claim.startswith(_QUOTE_START) else "description"
        for extra in ("location", "state", "code_name", "category_tags_combined"):
            if extra in col and row[col[extra]].strip():
                meta[extra] = row[col[extra]].strip()
        yield StatementRecord(
            external_id=content_id(row[col["date"]], claim, seen=seen),
            text=strip_outer_quotes(claim),
            statement_date=date,
            statement_type=CNN_TYPES.get(kind) or _type_from_forum(forum),
            meta=meta,
            speaker=config.speaker,
            label=LabelRecord(
                rating_source="cnn",
                source_label="false",
                label_class=1,
                correction=row[col["fact_check"]].strip() or None,
                url=href.group(1).strip() if href else None,
            ),
        )


def _type_from_forum(forum: str) -> str:
    first = forum.strip().split(" ", 1)[0].lower()
    return {"speech": "speech", "interview": "interview", "remarks": "remarks", "twitter": "tweet"}.get(
        first, "statement"
    )


def parse_generic_labels(data: bytes, *, config: IngestConfig, name: str = "labels.csv") -> Iterator[Item]:
    """A user's own fact-check export; columns, label scale and classes come from ``ingest.generic_labels``."""
    spec = config.generic_labels
    label_map = {k.strip().lower(): v for k, v in spec.label_map.items()}
    wanted = [c for c in (spec.text_column, spec.id_column, spec.date_column, spec.label_column) if c]
    seen: dict[str, int] = {}
    for loc, raw, row in _generic_rows(data, spec, name, wanted):
        if isinstance(row, str):
            yield Reject(loc, row, raw)
            continue
        text = str(row.get(spec.text_column) or "").strip()
        date = None
        if spec.date_column and str(row.get(spec.date_column) or "").strip():
            value = str(row[spec.date_column])
            date = parse_date(value, [spec.date_format] if spec.date_format else None)
            if date is None:
                yield Reject(loc, f"unparseable date {value!r} in column {spec.date_column!r}", raw)
                continue
        source_label = str(row.get(spec.label_column) or "").strip() if spec.label_column else spec.default_label
        if source_label.lower() not in label_map:
            yield Reject(loc, f"label {source_label!r} is not in ingest.generic_labels.label_map", raw)
            continue
        ext = str(row.get(spec.id_column) or "").strip() if spec.id_column else ""
        kind = str(row.get(spec.statement_type_column) or "").strip() if spec.statement_type_column else ""
        rater = str(row.get(spec.rating_source_column) or "").strip() if spec.rating_source_column else ""
        yield StatementRecord(
            external_id=ext or content_id(str(row.get(spec.date_column or "", "")), text, seen=seen),
            text=text,
            statement_date=date,
            statement_type=(kind or spec.statement_type).lower().replace(" ", "_")[:32],
            meta={c: row.get(c) for c in spec.meta_columns if c in row} or None,
            speaker=spec.speaker or config.speaker,
            label=LabelRecord(
                rating_source=(rater or spec.rating_source)[:64],
                source_label=source_label[:64],
                label_class=label_map[source_label.lower()],
                correction=_opt(row, spec.correction_column),
                url=_opt(row, spec.url_column),
            ),
        )


def _opt(row: dict[str, Any], column: str | None) -> str | None:
    value = str(row.get(column) or "").strip() if column else ""
    return value or None


def _generic_rows(
    data: bytes, spec: GenericLabelsConfig, name: str, wanted: list[str]
) -> Iterator[tuple[str, str, dict[str, Any] | str]]:
    """(location, original text, row mapping | reason) per record of a CSV or JSON export."""
    fix = "set ingest.generic_labels.* to the file's column names"
    if spec.format == "json":
        try:
            items = json.loads(decode(data))
        except ValueError as exc:
            raise DataSourceError(f"{name} is not valid JSON: {exc}", hint="give a JSON array of objects") from None
        if not isinstance(items, list):
            raise DataSourceError(f"{name} holds no JSON array", hint="give a JSON array of objects")
        for i, item in enumerate(items, 1):
            raw = json.dumps(item)
            if not isinstance(item, dict):
                yield f"{name}:[{i}]", raw, "not a JSON object"
            elif bad_utf8(json.dumps(item, ensure_ascii=False)):
                yield f"{name}:[{i}]", raw, "invalid UTF-8"
            elif spec.text_column not in item:
                yield f"{name}:[{i}]", raw, f"no {spec.text_column!r} field"
            else:
                yield f"{name}:[{i}]", raw, item
        return
    rows = csv_rows(decode(data), name=name, delimiter=spec.delimiter)
    header, _ = read_header(rows, name, wanted, fix=fix)
    keys = [h.strip() for h in header]
    for _, loc, raw, row in checked_rows(rows, name=name, width=len(header)):
        if isinstance(row, Reject):
            yield loc, printable(raw), row.reason
        else:
            yield loc, raw, dict(zip(keys, row, strict=True))
