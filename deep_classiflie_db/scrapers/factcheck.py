"""Live fact-check list: a paged JSON claims database (the Washington Post fact-checker's shape).

The endpoint returns newest claims first, one page per request::

    {"page": 1, "pages": 42, "claims": [
        {"id": "c-31", "date": "2019-09-29", "claim": "…", "pinocchios": 4 | "rating": "Four Pinocchios",
         "location": "Twitter", "medium": "Tweet", "topic": "Economy", "analysis_url": "https://…",
         "repeated": 3}, …]}

Every claim becomes a statement with one label: the rating on the source's own scale and its
mapped class (1 = falsehood; ratings in ``true_ratings`` map to 0). Incremental: paging stops at
the first page holding a claim older than the last run's watermark (the newest claim date).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.config.scrape import FactCheckLiveConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest.pipeline import (
    IngestReport,
    LabelRecord,
    Reject,
    SourceSpec,
    StatementRecord,
    run_ingest,
)
from deep_classiflie_db.queries.ingest import last_watermark
from deep_classiflie_db.scrapers.common import parse_when, statement_date_watermark, statement_type_of
from deep_classiflie_db.scrapers.http import Fetcher, open_fetcher

SOURCE_NAME = "factcheck_live"


def source_spec(cfg: FactCheckLiveConfig) -> SourceSpec:
    """The store's record of this source."""
    return SourceSpec(
        name=SOURCE_NAME,
        kind="label_source",
        description=f"live fact-check claims database ({cfg.rating_source})",
        url=cfg.url,
    )


# ---------------------------------------------------------------- pure parsing


def page_claims(payload: Any, *, where: str) -> tuple[list[Mapping[str, Any]], int | None]:
    """The claims of one page and the total page count (None when the API does not say)."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("claims"), list):
        raise DataSourceError(
            f"{where}: expected a JSON object with a 'claims' list",
            hint="check scrape.factcheck.url; the API format may have changed",
        )
    pages = payload.get("pages")
    return [c for c in payload["claims"] if isinstance(c, Mapping)], pages if isinstance(pages, int) else None


def rating_label(claim: Mapping[str, Any]) -> str:
    """The rating on the source's own scale: ``"4 Pinocchios"``, ``"Bottomless Pinocchio"``, or ``"listed"``."""
    rating = claim.get("rating")
    if isinstance(rating, str) and rating.strip():
        return rating.strip()[:64]
    count = claim.get("pinocchios")
    if isinstance(count, int) and not isinstance(count, bool):
        return f"{count} Pinocchio{'' if count == 1 else 's'}"
    # The database lists only false or misleading claims; an unrated claim is still listed as one.
    return "listed"


def label_class(source_label: str, cfg: FactCheckLiveConfig) -> int:
    """1 (falsehood) unless the rating is one of ``true_ratings``."""
    return 0 if source_label.casefold() in {r.casefold() for r in cfg.true_ratings} else 1


def claim_record(
    claim: Mapping[str, Any], *, cfg: FactCheckLiveConfig, speaker: str, where: str
) -> StatementRecord | Reject:
    """One claim as a labelled statement, or a Reject that says what is missing."""
    raw = json.dumps(claim, ensure_ascii=False, default=str)
    claim_id = claim.get("id")
    text = claim.get("claim")
    when = parse_when(claim.get("date"))
    if claim_id is None or str(claim_id).strip() == "":
        return Reject(location=where, reason="claim has no id", raw=raw)
    location = f"{where}#{claim_id}"
    if not isinstance(text, str) or not text.strip():
        return Reject(location=location, reason="claim has no statement text", raw=raw)
    if when is None:
        return Reject(location=location, reason=f"claim date {claim.get('date')!r} is not an ISO date", raw=raw)
    source_label = rating_label(claim)
    url = claim.get("analysis_url")
    meta = {k: claim[k] for k in ("location", "medium", "topic", "repeated") if claim.get(k) is not None}
    return StatementRecord(
        external_id=str(claim_id),
        text=text,
        statement_date=when,
        statement_type=statement_type_of(claim.get("medium"), default="claim"),
        meta=meta or None,
        speaker=speaker,
        label=LabelRecord(
            rating_source=cfg.rating_source,
            source_label=source_label,
            label_class=label_class(source_label, cfg),
            url=url if isinstance(url, str) else None,
        ),
    )


# ---------------------------------------------------------------- fetching


def fetch_records(
    fetcher: Fetcher, cfg: FactCheckLiveConfig, *, speaker: str, since: str | None
) -> Iterator[StatementRecord | Reject]:
    """Page through the claims, newest first, until a claim older than ``since`` (or the last page)."""
    cutoff = parse_when(since)
    for page in range(cfg.first_page, cfg.first_page + cfg.max_pages):
        params: dict[str, str | int] = {cfg.page_param: page}
        if cfg.page_size_param:
            params[cfg.page_size_param] = cfg.page_size
        page_url = fetcher.get(cfg.url, params=params)
        where = page_url.url
        claims, pages = page_claims(page_url.json(), where=where)
        reached_old = False
        for claim in claims:
            when = parse_when(claim.get("date"))
            # Claims of the watermark's own day may be new: only strictly older ones are known.
            if cutoff is not None and when is not None and when < cutoff:
                reached_old = True
                continue
            yield claim_record(claim, cfg=cfg, speaker=speaker, where=where)
        last = pages is not None and page >= cfg.first_page + pages - 1
        if not claims or reached_old or last:
            return


def scrape_factcheck(engine: Engine, config: Config, *, fetcher: Fetcher | None = None) -> IngestReport:
    """Fetch what is new since the last run and write it to the store."""
    cfg = config.scrape.factcheck
    since = last_watermark(engine, source_name=SOURCE_NAME)
    with fetcher or open_fetcher(config.scrape.http) as live:
        return run_ingest(
            engine,
            source=source_spec(cfg),
            records=fetch_records(live, cfg, speaker=config.ingest.speaker, since=since),
            config=config.ingest,
            location=cfg.url,
            watermark_of=statement_date_watermark,
        )
