"""Recording which statements were explained with which model, on SQLite and MariaDB."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from deep_classiflie_db.queries.explain import actual_labels, explanations_for, record_explanation, statements_by_id
from tests.evaluate.fixtures import populate


def _card(text: str) -> dict[str, object]:
    return {"schema": 1, "statement": {"text": text}, "words": [{"word": "é😀", "score": -0.5}]}


def test_record_updates_in_place_and_filters_by_statement(engine: Engine) -> None:
    store = populate(engine)
    a, b = store.ids[0], store.ids[1]
    with engine.begin() as conn:
        first = record_explanation(
            conn,
            model_version_id=store.model_id,
            statement_id=a,
            text_hash="h" * 64,
            card=_card("one"),
            files={"json": "/x/a.json"},
        )
        other = record_explanation(
            conn, model_version_id=store.model_id, statement_id=b, text_hash="g" * 64, card=_card("two"), files={}
        )
        free = record_explanation(
            conn, model_version_id=store.model_id, statement_id=None, text_hash="f" * 64, card=_card("free"), files={}
        )
    with engine.begin() as conn:
        again = record_explanation(
            conn,
            model_version_id=store.model_id,
            statement_id=a,
            text_hash="h" * 64,
            card=_card("one again"),
            files={"png": "/x/a.png"},
        )
        free_again = record_explanation(
            conn, model_version_id=store.model_id, statement_id=None, text_hash="f" * 64, card=_card("free"), files={}
        )
    assert again == first and free_again == free and len({first, other, free}) == 3
    rows = explanations_for(engine, model_version_id=store.model_id)
    assert [r["id"] for r in rows] == sorted([first, other, free])
    assert set(rows[0]) == {"id", "statement_id", "model_version_id", "card", "files", "created_at"}
    only_a = explanations_for(engine, model_version_id=store.model_id, statement_ids=[a])
    assert len(only_a) == 1 and only_a[0]["card"]["statement"]["text"] == "one again"
    assert only_a[0]["files"] == {"png": "/x/a.png"} and only_a[0]["card"]["words"][0]["word"] == "é😀"
    assert explanations_for(engine, model_version_id=store.model_id + 99) == []
    assert explanations_for(engine, model_version_id=store.model_id, statement_ids=[]) == []


def test_statement_lookups(engine: Engine) -> None:
    store = populate(engine)
    found = statements_by_id(engine, statement_ids=[store.ids[0], store.ids[1], 10**6])
    assert set(found) == {store.ids[0], store.ids[1]}
    assert found[store.ids[0]]["statement_type"] == "tweet"
    labels = actual_labels(engine, statement_ids=store.ids[:4])
    # populate labels every second statement false (class 1); the others were never rated
    assert labels == {store.ids[0]: {"label": 1, "url": None}, store.ids[2]: {"label": 1, "url": None}}


@pytest.mark.parametrize("n", [0, 1000])
def test_many_ids_are_chunked(sqlite_engine: Engine, n: int) -> None:
    store = populate(sqlite_engine)
    ids = list(range(1, n + 1))
    assert len(explanations_for(sqlite_engine, model_version_id=store.model_id, statement_ids=ids)) == 0
