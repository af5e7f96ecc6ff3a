"""The dataset stage's SQL on SQLite and MariaDB."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from deep_classiflie_db.queries import dataset as q
from tests.dataset.helpers import seed_store


def test_labelled_and_unlabelled_statements(engine: Engine) -> None:
    seeded = seed_store(engine)
    with engine.connect() as conn:
        speaker = q.speaker_id(conn, name="Donald Trump")
        assert speaker == seeded["speaker"] and q.speaker_id(conn, name="Nobody") is None
        false_rows = q.labelled_statements(conn, rating_sources=["toronto_star"], speaker=speaker)
        assert len(false_rows) == 30 and {r["label_class"] for r in false_rows} == {1}
        liar = q.labelled_statements(conn, source_names=["liar"])
        assert len(liar) == 40 and liar[0]["meta"]["given_split"] == "valid"
        cands = q.unlabelled_statements(
            conn,
            speaker=speaker,
            statement_types=["tweet"],
            start=dt.datetime(2017, 2, 1),
            end=dt.datetime(2017, 3, 3),
            min_words=7,
            max_words=107,
        )
    # 120 tweets + the exact duplicate; the retweet, the late tweet and labelled statements are left out.
    assert len(cands) == 121
    assert [r["id"] for r in cands] == sorted(r["id"] for r in cands)
    assert isinstance(cands[0]["statement_date"], dt.datetime)
    # both classes carry the speaker's name, so metadata cannot tell them apart by its presence
    assert {r["speaker_name"] for r in false_rows} == {r["speaker_name"] for r in cands} == {"Donald Trump"}


def test_collections_members_exclusions(engine: Engine) -> None:
    seed_store(engine)
    with engine.begin() as conn:
        rows = q.labelled_statements(conn, rating_sources=["toronto_star"])
        ids = [r["id"] for r in rows]
        cid = q.insert_collection(
            conn,
            name="x",
            task="falsehood_binary",
            content_hash="h1",
            config={"input_key": "k"},
            counts={"train": {}},
            report=None,
        )
        q.insert_members(conn, collection_id=cid, rows=[(ids[0], "train", 1, 2), (ids[1], "val", 1, 1)])
        q.insert_exclusions(
            conn, collection_id=cid, rows=[(ids[2], ids[0], "hash", 0.0), (ids[3], None, "embedding_input", 0.05)]
        )
        q.update_report(conn, collection_id=cid, report={"flags": ["f"]})
        fp = q.store_fingerprint(conn)
    with engine.connect() as conn:
        got = q.collection_by_hash(conn, content_hash="h1")
        assert got is not None and got["id"] == cid and got["report"] == {"flags": ["f"]}
        assert got["config"] == {"input_key": "k"}
        assert q.collection_by_id(conn, collection_id=cid + 1) is None
        assert q.latest_collection_row(conn, name="x")["id"] == cid  # type: ignore[index]
        assert [r["id"] for r in q.collections_named(conn, name="x")] == [cid]
        assert q.collection_members(conn, collection_id=cid) == [(ids[0], "train", 1, 2), (ids[1], "val", 1, 1)]
        assert q.exclusion_counts(conn, collection_id=cid) == {"embedding_input": 1, "hash": 1}
    assert fp["statements_count"] == 30 + 123 + 40 and fp["labels_count"] == 70
