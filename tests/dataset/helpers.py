"""Tiny in-memory records for the dataset step tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from deep_classiflie.core.text import text_hash
from deep_classiflie.dataset.records import Record


def rec(
    sid: int,
    day: str | None = "2017-03-01",
    *,
    words: int = 10,
    label: int = -1,
    stype: str = "tweet",
    text: str | None = None,
    retweet: bool = False,
    meta: dict | None = None,
) -> Record:
    """A record with ``words`` words (or ``text``) dated ``day`` at noon."""
    body = text if text is not None else " ".join(f"w{sid}x{i}" for i in range(words))
    return Record(
        statement_id=sid,
        text=body,
        text_hash=text_hash(body),
        date=dt.datetime.fromisoformat(day) + dt.timedelta(hours=12) if day else None,
        statement_type=stype,
        word_count=len(body.split()),
        label=label,
        is_retweet=retweet,
        meta=meta or {},
    )


WORDS = [
    "the",
    "wall",
    "is",
    "big",
    "and",
    "china",
    "trade",
    "jobs",
    "taxes",
    "people",
    "country",
    "media",
    "great",
    "very",
    "best",
    "fake",
    "news",
    "border",
]


def _text(i: int, n: int) -> str:
    # the statement's number every few words: texts share words but no run of 6 (no falsehood "inside" another)
    words = [WORDS[(i * 7 + j * 3) % len(WORDS)] + (f" n{i}" if j % 4 == 3 else "") for j in range(n)]
    return " ".join(words) + f" number {i}"


def seed_store(engine: Any) -> dict[str, int]:
    """A small store: 30 falsehoods (Toronto Star) over 30 days, 120 tweets, a retweet, a LIAR-like source."""
    from deep_classiflie_db.queries import bulk
    from deep_classiflie_db.queries import ingest as q

    base = dt.datetime(2017, 2, 1, 12)
    with engine.begin() as conn:
        speaker = q.ensure_speaker(conn, name="Donald Trump")
        ts = q.ensure_source(conn, name="toronto_star", kind="label_source")
        tw = q.ensure_source(conn, name="tweets", kind="statement_stream")
        liar = q.ensure_source(conn, name="liar", kind="benchmark")

        def row(source: int, ext: str, text: str, day: int, stype: str, **kw: Any) -> dict[str, Any]:
            return {
                "source_id": source,
                "speaker_id": kw.pop("speaker", speaker),
                "external_id": ext,
                "text": text,
                "text_hash": text_hash(text),
                "statement_date": base + dt.timedelta(days=day),
                "statement_type": stype,
                "word_count": len(text.split()),
                "is_retweet": kw.pop("is_retweet", False),  # every row the same keys (executemany)
                "meta": kw.pop("meta", None),
            }

        falsehoods = [row(ts, f"f{i}", _text(i, 8 + i % 5), i, "speech" if i % 3 else "tweet") for i in range(30)]
        tweets = [row(tw, f"t{i}", _text(100 + i, 8 + i % 6), i % 30, "tweet") for i in range(120)]
        tweets.append(row(tw, "dup", falsehoods[3]["text"], 5, "tweet"))  # exact duplicate of a falsehood
        tweets.append(row(tw, "rt", _text(999, 9), 5, "tweet", is_retweet=True))
        tweets.append(row(tw, "late", _text(998, 9), 200, "tweet"))  # outside the falsehoods' dates
        q.insert_statements(conn, falsehoods + tweets)
        ids = q.statement_ids(conn, source_id=ts, external_ids=[f"f{i}" for i in range(30)])
        bulk.insert_labels(
            conn,
            [
                {"statement_id": s, "rating_source": "toronto_star", "source_label": "false", "label_class": 1}
                for s in ids.values()
            ],
        )
        liar_rows = [
            row(
                liar,
                f"l{i}",
                _text(500 + i, 10),
                i,
                "claim",
                speaker=None,
                meta={"given_split": "valid" if i < 8 else "train", "party": "republican" if i % 2 else "democrat"},
            )
            for i in range(40)
        ]
        q.insert_statements(conn, liar_rows)
        lids = q.statement_ids(conn, source_id=liar, external_ids=[f"l{i}" for i in range(40)])
        names = ["pants-fire", "false", "barely-true", "half-true", "mostly-true", "true"]
        bulk.insert_labels(
            conn,
            [
                {
                    "statement_id": lids[f"l{i}"],
                    "rating_source": "politifact",
                    "source_label": names[i % 6],
                    "label_class": i % 6,
                }
                for i in range(40)
            ],
        )
    return {"speaker": speaker, "falsehoods": len(falsehoods), "tweets": len(tweets)}
