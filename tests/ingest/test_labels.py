"""Label sources: exact records from small inline files, and row counts on the real shared files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from deep_classiflie.config.ingest import GenericLabelsConfig, IngestConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest.labels import parse_cnn, parse_generic_labels, parse_toronto_star
from deep_classiflie_db.ingest.pipeline import LabelRecord, Reject, StatementRecord

CFG = IngestConfig()
TS_HEADER = "number,date,place,claim,infact,slug,repeat,source,placecategory\n"


def test_toronto_star_rows_and_rejects() -> None:
    data = (
        TS_HEADER
        + '2,7-7-2018,Campaign rally in Fargo,"""We are the highest taxed.""",Not true.,tax,Yes,http://s,Speeches\n'
        + "3,13-40-2018,Twitter,claim,fix,,no,,Twitter\n"
        + "4,1-2-2018,Twitter,too,few\n"
    ).encode()
    items = list(parse_toronto_star(data, config=CFG, name="liar.csv"))
    assert items[0] == StatementRecord(
        external_id="2",
        text="We are the highest taxed.",
        statement_date=dt.datetime(2018, 7, 7),
        statement_type="rally",
        meta={"place": "Campaign rally in Fargo", "place_category": "Speeches", "slug": "tax", "repeat": "Yes"},
        speaker="Donald Trump",
        label=LabelRecord("toronto_star", "false", 1, correction="Not true.", url="http://s"),
    )
    assert items[1] == Reject(
        "liar.csv:3",
        "unparseable date '13-40-2018' (expected M-D-YYYY)",
        "3,13-40-2018,Twitter,claim,fix,,no,,Twitter\n",
    )
    assert items[2] == Reject("liar.csv:4", "expected 9 columns, found 5", "4,1-2-2018,Twitter,too,few\n")


def test_toronto_star_invalid_utf8_row_is_a_reject_with_its_bytes_shown() -> None:
    data = TS_HEADER.encode() + b"5,1-2-2018,Twitter,caf\xe9 claim,x,,no,,Twitter\n"
    (item,) = parse_toronto_star(data, config=CFG)
    assert isinstance(item, Reject) and item.reason == "invalid UTF-8" and "caf\\xe9" in (item.raw or "")


def test_missing_column_is_a_data_source_error() -> None:
    with pytest.raises(DataSourceError, match="missing column"):
        list(parse_toronto_star(b"number,date\n1,2\n", config=CFG))


def test_cnn_flags_descriptions_and_maps_forum() -> None:
    header = "date,forum,kind_of_forum,claim,fact_check,source_article\n"
    data = (
        header
        + "2019-09-29,Twitter,TWEET,\u201cThe Whistleblower\u2019s complaint\u201d,Facts First: no.,<a href='https://t/1 ' target='_blank'>x</a>\n"
        + '2019-09-28,Speech to X,,"On September 29, Trump posted four tweets.",Facts First: no.,\n'
    ).encode()
    a, b = parse_cnn(data, config=CFG)
    assert isinstance(a, StatementRecord) and isinstance(b, StatementRecord)
    assert (a.text, a.statement_type, a.meta and a.meta["claim_form"]) == (
        "The Whistleblower\u2019s complaint",
        "tweet",
        "quote",
    )
    assert a.label == LabelRecord("cnn", "false", 1, correction="Facts First: no.", url="https://t/1")
    assert (b.statement_type, b.meta and b.meta["claim_form"]) == ("speech", "description")
    assert a.external_id != b.external_id and len(a.external_id) == 16


def test_generic_labels_csv_mapping() -> None:
    spec = GenericLabelsConfig(
        text_column="Claim", date_column="When", label_column="Rating", id_column="ID",
        label_map={"Four Pinocchios": 1, "Mostly true": 0}, rating_source="washington_post",
        statement_type_column="Medium", meta_columns=["Topic"],
    )  # fmt: skip
    cfg = IngestConfig(generic_labels=spec)
    data = (
        b"ID,Claim,When,Rating,Medium,Topic\n"
        b"w1,We built the wall.,2019-01-02,Four Pinocchios,Rally,border\n"
        b"w2,Something,2019-01-03,Pants,Tweet,x\n"
        b"w3,Other,not a date,Mostly true,Tweet,x\n"
    )
    a, b, c = parse_generic_labels(data, config=cfg, name="wapo.csv")
    assert a == StatementRecord(
        "w1", "We built the wall.", dt.datetime(2019, 1, 2), "rally", meta={"Topic": "border"}, speaker="Donald Trump",
        label=LabelRecord("washington_post", "Four Pinocchios", 1),
    )  # fmt: skip
    assert isinstance(b, Reject) and "not in ingest.generic_labels.label_map" in b.reason
    assert isinstance(c, Reject) and c.reason == "unparseable date 'not a date' in column 'When'"


def test_generic_labels_json() -> None:
    cfg = IngestConfig(generic_labels=GenericLabelsConfig(format="json", date_column=None))
    items = list(parse_generic_labels(b'[{"text": "A claim"}, 3, {"x": 1}]', config=cfg, name="l.json"))
    assert isinstance(items[0], StatementRecord) and items[0].label == LabelRecord("generic", "false", 1)
    assert [i.reason for i in items[1:]] == ["not a JSON object", "no 'text' field"]  # type: ignore[union-attr]
    with pytest.raises(DataSourceError, match="not valid JSON"):
        list(parse_generic_labels(b"{", config=cfg))


@pytest.mark.shared_data
def test_shared_label_files_counts(shared_data: Path) -> None:
    ts = list(
        parse_toronto_star(
            (shared_data / "toronto_star_trump_false_claims_2017_2018/liar.csv").read_bytes(), config=CFG
        )
    )
    cnn = list(parse_cnn((shared_data / "cnn_trump_false_claims_2019/fcheck_temp.csv").read_bytes(), config=CFG))
    assert (len(ts), len(cnn)) == (1972, 707)
    assert not [i for i in ts + cnn if isinstance(i, Reject)]
    assert len({i.external_id for i in cnn}) == 707  # type: ignore[union-attr]
    described = [i for i in cnn if isinstance(i, StatementRecord) and i.meta and i.meta["claim_form"] == "description"]
    assert 0 < len(described) < 60
