"""A bot cycle on a real store (SQLite and MariaDB) with the dry-run publisher: decisions, outbox, files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from deep_classiflie.bot.backoff import Waiter
from deep_classiflie.bot.cycle import Bot
from deep_classiflie.bot.publishers import DryRunPublisher
from deep_classiflie.bot.rules import Candidate
from deep_classiflie_db.queries import bot as q
from deep_classiflie_db.schema import bot_analyses, predictions, publications
from tests.bot.helpers import PNG, add_statements, bot_config, register_tiny_model, store_buckets

TEXTS = ["fake news media is the enemy", "the wall is being built", "china pays the tariffs", "great jobs numbers"]


class StubCards:
    """Stands in for the explain stage's card: a tiny png per statement."""

    def __init__(self) -> None:
        self.made: list[int] = []

    def make(self, candidate: Candidate, out_dir: Path) -> Path:
        self.made.append(candidate.statement_id)
        path = out_dir / f"card-{candidate.statement_id}.png"
        path.write_bytes(PNG)
        return path


def make_bot(engine, tmp_path: Path, cards: StubCards | None = None, **bot) -> Bot:
    cfg = bot_config(tmp_path, **bot)
    stub = cards or StubCards()
    return Bot(
        engine,
        cfg,
        DryRunPublisher(tmp_path / "dc" / "bot"),
        waiter=Waiter(),
        card_factory=lambda row, clf: stub,
    )


def analyses(engine) -> dict[int, dict]:
    with engine.connect() as conn:
        return {int(r.statement_id): dict(r._mapping) for r in conn.execute(sa.select(bot_analyses))}


def test_cycle_posts_flags_once_and_records_every_decision(engine, trained_tiny: Path, tmp_path: Path) -> None:
    model = register_tiny_model(engine, trained_tiny, tmp_path, threshold=0.0)
    store_buckets(engine, model["id"])
    ids = add_statements(engine, TEXTS)
    retweet = add_statements(engine, ["RT @x: not his words at all"], retweet=True)
    other = add_statements(engine, ["a statement from a source the bot does not run"], source="liar")
    cards = StubCards()
    bot = make_bot(engine, tmp_path, cards)

    report = bot.cycle()
    assert (report.analysed, report.queued, report.delivery.posted) == (5, 4, 4)
    done = analyses(engine)
    assert set(done) == {*ids, *retweet} and other[0] not in done
    assert done[retweet[0]]["rule"] == "retweet" and done[retweet[0]]["prediction_id"] is None
    for sid in ids:
        a = done[sid]
        assert (a["decision"], a["rule"], a["bucket_n"]) == ("post", "publish", 100)
        assert a["threshold"] == 0.0 and 0.0 <= a["probability"] <= 1.0 and a["prediction_id"] is not None
    assert sorted(cards.made) == ids
    rows = q.outbox_rows(engine)
    assert [r["status"] for r in rows] == ["posted"] * 4 and {r["statement_id"] for r in rows} == set(ids)
    for r in rows:
        written = next((tmp_path / "dc" / "bot" / "dry_run").glob(f"*/{r['idempotency_key']}.json"))
        assert json.loads(written.read_text())["text"] == r["text"]
        assert r["post_id"] == f"dry_run:{r['idempotency_key']}" and r["media_id"] and Path(r["card_file"]).is_file()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(predictions)).scalar_one() == 4
        # a dry run publishes nothing: no publication rows
        assert conn.execute(sa.select(sa.func.count()).select_from(publications)).scalar_one() == 0

    again = bot.cycle()  # nothing new: nothing analysed, nothing posted twice
    assert (again.analysed, again.queued, again.delivery.posted) == (0, 0, 0)
    assert len(q.outbox_rows(engine)) == 4
    assert q.decision_counts(engine) == {"publish": 4, "retweet": 1}


@pytest.mark.parametrize(
    ("threshold", "ppv", "n", "rule"),
    [
        (1.01, {}, 100, "not_flagged"),
        (0.0, {"tweet": 0.5}, 100, "ppv_below_threshold"),
        (0.0, {}, 5, "bucket_too_small"),
    ],
    ids=["model-threshold", "low-ppv", "small-bucket"],
)
def test_rules_that_say_no_are_recorded(
    sqlite_engine, trained_tiny: Path, tmp_path: Path, threshold, ppv, n, rule
) -> None:
    model = register_tiny_model(sqlite_engine, trained_tiny, tmp_path, threshold=threshold)
    store_buckets(sqlite_engine, model["id"], ppv=ppv, n=n)
    add_statements(sqlite_engine, TEXTS[:2])
    report = make_bot(sqlite_engine, tmp_path).cycle()
    assert (report.analysed, report.queued) == (2, 0)
    assert {a["rule"] for a in analyses(sqlite_engine).values()} == {rule}
    assert q.outbox_rows(sqlite_engine) == []


def test_no_buckets_means_no_posts(sqlite_engine, trained_tiny: Path, tmp_path: Path) -> None:
    register_tiny_model(sqlite_engine, trained_tiny, tmp_path)
    add_statements(sqlite_engine, TEXTS[:1])
    make_bot(sqlite_engine, tmp_path).cycle()
    assert [a["rule"] for a in analyses(sqlite_engine).values()] == ["no_bucket"]


def test_daily_cap_counts_posts_already_made_today(sqlite_engine, trained_tiny: Path, tmp_path: Path) -> None:
    model = register_tiny_model(sqlite_engine, trained_tiny, tmp_path)
    store_buckets(sqlite_engine, model["id"])
    add_statements(sqlite_engine, TEXTS[:3])
    bot = make_bot(sqlite_engine, tmp_path, rule={"daily_cap": 2})
    assert bot.cycle().queued == 2
    add_statements(sqlite_engine, TEXTS[3:])
    assert bot.cycle().queued == 0
    assert q.decision_counts(sqlite_engine) == {"publish": 2, "daily_cap": 2}


def test_a_new_active_model_analyses_again(sqlite_engine, trained_tiny: Path, tmp_path: Path) -> None:
    first = register_tiny_model(sqlite_engine, trained_tiny, tmp_path, name="first", threshold=1.01)
    store_buckets(sqlite_engine, first["id"])
    add_statements(sqlite_engine, TEXTS[:2])
    bot = make_bot(sqlite_engine, tmp_path)
    assert bot.cycle().analysed == 2
    second = register_tiny_model(sqlite_engine, trained_tiny, tmp_path, name="second", threshold=0.0)
    store_buckets(sqlite_engine, second["id"])
    report = bot.cycle()
    assert (report.analysed, report.queued, report.delivery.posted) == (2, 2, 2)
    assert bot.model is not None and bot.model.row["name"] == "second"


def test_old_card_and_dry_run_days_are_purged(sqlite_engine, trained_tiny: Path, tmp_path: Path) -> None:
    model = register_tiny_model(sqlite_engine, trained_tiny, tmp_path)
    store_buckets(sqlite_engine, model["id"])
    root = tmp_path / "dc" / "bot"
    old = (dt.date.today() - dt.timedelta(days=40)).isoformat()
    for sub in ("cards", "dry_run"):
        (root / sub / old).mkdir(parents=True)
        (root / sub / old / "x.json").write_text("{}")
    make_bot(sqlite_engine, tmp_path, retention_days=30).cycle()
    assert not (root / "cards" / old).exists() and not (root / "dry_run" / old).exists()


def test_test_window_end_is_the_newest_test_statement(engine) -> None:
    from tests.evaluate.fixtures import T0, N, populate

    store = populate(engine)
    # populate(): statements i < 40 are in the test split, statement i is dated T0 + i // 4 days
    assert q.test_window_end(engine, model_version_id=store.model_id) == T0 + dt.timedelta(days=39 // 4)
    assert N == 60


def test_a_card_that_fails_does_not_hold_the_post_back(sqlite_engine, trained_tiny: Path, tmp_path: Path) -> None:
    from deep_classiflie.core.errors import DataSourceError

    class Broken:
        def make(self, candidate: Candidate, out_dir: Path) -> Path:
            raise DataSourceError("cannot explain", hint="-")

    model = register_tiny_model(sqlite_engine, trained_tiny, tmp_path)
    store_buckets(sqlite_engine, model["id"])
    add_statements(sqlite_engine, TEXTS[:1])
    bot = make_bot(sqlite_engine, tmp_path)
    bot.card_factory = lambda row, clf: Broken()
    assert bot.cycle().delivery.posted == 1
    assert q.outbox_rows(sqlite_engine)[0]["card_file"] is None


def test_due_sources_run_on_their_intervals_and_a_failing_one_does_not_stop_the_cycle(
    sqlite_engine, trained_tiny: Path, tmp_path: Path, fake, caplog, monkeypatch
) -> None:
    from tests.bot.harness import SPEAKER_TEXTS, seed_timeline

    model = register_tiny_model(sqlite_engine, trained_tiny, tmp_path)
    store_buckets(sqlite_engine, model["id"])
    seed_timeline(fake, SPEAKER_TEXTS[:2])
    now = [1000.0]
    cfg = bot_config(
        tmp_path,
        sources=[{"name": "tweets_live", "interval_s": 180}, {"name": "generic_labels", "interval_s": 900}],
        analyse_sources=None,
    )
    cfg = cfg.model_validate(
        {
            **cfg.model_dump(),
            "scrape": {
                "http": {"allowed_hosts": ["127.0.0.1"], "allow_loopback": True, "min_interval_s": 0},
                "tweets": {"api_url": fake.base, "user_id": "25073877"},
            },
        }
    )
    bot = Bot(
        sqlite_engine,
        cfg,
        DryRunPublisher(tmp_path / "out"),
        waiter=Waiter(),
        card_factory=lambda r, c: StubCards(),
        clock=lambda: now[0],
    )
    monkeypatch.setenv("DC_TWITTER_BEARER_TOKEN", "bearer-test-6e0")
    first = bot.cycle()  # generic_labels has no input: logged, the cycle goes on
    assert first.ingested == {"tweets_live": 2} and first.queued == 2
    assert "ingest of generic_labels failed" in caplog.text
    assert bot.seconds_to_next_source() == 180
    now[0] += 100
    assert bot.cycle().ingested == {} and fake.hits("timeline") == 1  # not due yet
    now[0] += 100
    fake.add_speaker_tweet("a brand new statement about trade deals", dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    third = bot.cycle()
    assert third.ingested == {"tweets_live": 1} and third.delivery.posted == 1
