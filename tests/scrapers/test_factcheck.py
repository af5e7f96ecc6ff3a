"""Live fact-check list → store, against recorded claim pages on a local server (SQLite and MariaDB)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.config.scrape import FactCheckLiveConfig
from deep_classiflie.core.errors import DataSourceError, FetchError
from deep_classiflie_db.ingest.pipeline import Reject, StatementRecord
from deep_classiflie_db.queries.ingest import last_watermark
from deep_classiflie_db.schema import fact_check_labels, ingest_runs, rejects, statements
from deep_classiflie_db.scrapers.factcheck import claim_record, page_claims, rating_label
from deep_classiflie_db.scrapers.registry import SCRAPERS
from tests.scrapers.server import FixtureServer, Reply


def serve_claims(server: FixtureServer, *, first_page: str = "factcheck/claims_p1.json") -> None:
    server.file("/robots.txt", "factcheck/robots.txt")
    server.file("/claims.json", first_page, query={"page": "1"})
    server.file("/claims.json", "factcheck/claims_p2.json", query={"page": "2"})
    server.file("/claims.json", "factcheck/claims_p3.json", query={"page": "3"})


def stored(engine: Engine) -> dict[str, dict[str, Any]]:
    query = sa.select(
        statements.c.external_id,
        statements.c.text,
        statements.c.statement_type,
        fact_check_labels.c.source_label,
        fact_check_labels.c.label_class,
        fact_check_labels.c.rating_source,
        fact_check_labels.c.url,
    ).select_from(statements.outerjoin(fact_check_labels, fact_check_labels.c.statement_id == statements.c.id))
    with engine.connect() as conn:
        return {row.external_id: dict(row._mapping) for row in conn.execute(query)}


def test_full_run_stores_claims_with_their_labels(engine: Engine, server: FixtureServer, live_config: Config) -> None:
    serve_claims(server)
    report = SCRAPERS["factcheck_live"](engine, live_config)

    assert (report.read, report.inserted, report.rejected) == (6, 5, 1)
    rows = stored(engine)
    assert all(r["source_label"] is not None for r in rows.values())
    assert set(rows) == {"c-1", "c-2", "c-4", "c-5", "c-6"}
    assert rows["c-6"]["source_label"] == "4 Pinocchios" and rows["c-6"]["label_class"] == 1
    assert rows["c-6"]["statement_type"] == "tweet"
    assert rows["c-6"]["url"] == "https://www.washingtonpost.com/politics/2019/09/29/fact-check-c6/"
    assert rows["c-5"]["source_label"] == "Bottomless Pinocchio" and rows["c-5"]["statement_type"] == "remarks"
    assert rows["c-2"]["source_label"] == "Geppetto Checkmark" and rows["c-2"]["label_class"] == 0
    assert rows["c-1"]["source_label"] == "1 Pinocchio"
    assert {r["rating_source"] for r in rows.values()} == {"washington_post"}
    assert [s.query.get("page") for s in server.seen if s.path == "/claims.json"] == ["1", "2", "3"]
    assert all(s.query.get("per_page") == "2" for s in server.seen if s.path == "/claims.json")
    with engine.connect() as conn:
        reasons = conn.execute(sa.select(rejects.c.location, rejects.c.reason)).all()
    assert len(reasons) == 1 and reasons[0].location.endswith("#c-3") and "no statement text" in reasons[0].reason
    assert last_watermark(engine, source_name="factcheck_live") == "2019-09-29T00:00:00"


def test_rerun_fetches_only_new_claims(engine: Engine, server: FixtureServer, live_config: Config) -> None:
    serve_claims(server)
    SCRAPERS["factcheck_live"](engine, live_config)

    # 1) nothing new: one page is read, up to the first claim older than the watermark.
    server.reset_log()
    again = SCRAPERS["factcheck_live"](engine, live_config)
    assert server.hits("/claims.json") == 1
    assert (again.read, again.inserted, again.duplicate) == (1, 0, 1)  # only the watermark day is re-read

    # 2) two new claims on top: still one page, and only they are added.
    server.file("/claims.json", "factcheck/claims_v2_p1.json", query={"page": "1"})
    server.reset_log()
    report = SCRAPERS["factcheck_live"](engine, live_config)
    assert server.hits("/claims.json") == 1
    assert report.inserted == 2
    rows = stored(engine)
    assert len(rows) == 7 and rows["c-8"]["source_label"] == "4 Pinocchios" and rows["c-7"]["label_class"] == 1
    assert last_watermark(engine, source_name="factcheck_live") == "2019-10-02T00:00:00"


def test_rate_limited_page_is_retried(engine: Engine, server: FixtureServer, live_config: Config) -> None:
    serve_claims(server)
    server.add(
        "/claims.json",
        Reply(status=429, file="common/rate_limited.json", headers={"Retry-After": "1"}),
        Reply(file="factcheck/claims_p2.json"),
        query={"page": "2"},
    )
    report = SCRAPERS["factcheck_live"](engine, live_config)
    assert report.inserted == 5
    assert [s.query.get("page") for s in server.seen if s.path == "/claims.json"] == ["1", "2", "2", "3"]


def test_failing_source_marks_the_run_failed_and_keeps_the_watermark(
    engine: Engine, server: FixtureServer, live_config: Config
) -> None:
    serve_claims(server)
    server.add("/claims.json", Reply(status=500, file="common/error_500.html"), query={"page": "2"})
    with pytest.raises(FetchError, match="HTTP 500"):
        SCRAPERS["factcheck_live"](engine, live_config)
    with engine.connect() as conn:
        status = conn.execute(sa.select(ingest_runs.c.status)).scalar_one()
    assert status == "failed"
    assert last_watermark(engine, source_name="factcheck_live") is None


def test_robots_disallowed_endpoint_is_not_fetched(engine: Engine, server: FixtureServer, live_config: Config) -> None:
    serve_claims(server)
    config = live_config.model_copy(deep=True)
    config.scrape.factcheck.url = f"{server.base}/private/claims.json"
    with pytest.raises(FetchError, match=r"robots.txt"):
        SCRAPERS["factcheck_live"](engine, config)
    assert [s.path for s in server.seen] == ["/robots.txt"]


# ---------------------------------------------------------------- pure parsing


@pytest.mark.parametrize(
    ("claim", "label"),
    [
        ({"pinocchios": 4}, "4 Pinocchios"),
        ({"pinocchios": 1}, "1 Pinocchio"),
        ({"rating": " Bottomless Pinocchio "}, "Bottomless Pinocchio"),
        ({"rating": "Three Pinocchios", "pinocchios": 3}, "Three Pinocchios"),
        ({}, "listed"),
    ],
)
def test_rating_label_keeps_the_source_scale(claim: dict[str, Any], label: str) -> None:
    assert rating_label(claim) == label


def test_claim_record_maps_fields_and_rejects_bad_dates() -> None:
    cfg = FactCheckLiveConfig()
    good = claim_record(
        {"id": 7, "date": "2019-09-29T00:00:00Z", "claim": "Text of the claim.", "medium": "Press Conference"},
        cfg=cfg,
        speaker="Donald Trump",
        where="page1",
    )
    assert isinstance(good, StatementRecord)
    assert good.external_id == "7" and good.statement_type == "press_conference" and good.speaker == "Donald Trump"
    assert good.label is not None and good.label.source_label == "listed" and good.label.label_class == 1
    bad = claim_record({"id": 8, "date": "29/09/2019", "claim": "x"}, cfg=cfg, speaker="s", where="page1")
    assert isinstance(bad, Reject) and "ISO date" in bad.reason and bad.location == "page1#8"


def test_page_without_claims_list_is_a_clear_error() -> None:
    with pytest.raises(DataSourceError, match="'claims' list"):
        page_claims({"items": []}, where="http://x/claims.json?page=1")
