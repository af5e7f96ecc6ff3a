"""The source registry: default paths, clear errors for missing input and unknown names, end-to-end imports."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest import registry
from deep_classiflie_db.ingest.registry import SOURCE_NAMES, import_source, read_files, resolve_path
from deep_classiflie_db.schema import fact_check_labels, statements


def config(shared: Path) -> Config:
    return Config.model_validate({"paths": {"shared_data": str(shared)}})


def test_every_file_source_is_named() -> None:
    assert set(SOURCE_NAMES) == {
        "toronto_star", "cnn", "generic_labels", "tweets", "tweets_csv", "campaign_corpus",
        "rally_speeches", "miller_center", "liar", "mediaeval", "fakenewsnet",
        "toronto_star_full", "factbase_interviews", "miller_center_2017_2018", "presidency_project",
    }  # fmt: skip
    assert set(Config().ingest.sources) <= set(SOURCE_NAMES)  # `ingest --all` names only known sources


def test_missing_input_names_path_and_fix(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError) as err:
        resolve_path("cnn", None, config(tmp_path))
    assert str(tmp_path / "cnn_trump_false_claims_2019/fcheck_temp.csv") in err.value.message
    assert "--path" in (err.value.hint or "")
    with pytest.raises(DataSourceError, match="has no default input"):
        resolve_path("generic_labels", None, config(tmp_path))


def test_unknown_source_suggests_the_closest(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "scrapers", lambda: {})
    with pytest.raises(DataSourceError, match="unknown source 'tweet'") as err:
        import_source(sqlite_engine, "tweet", path=None, config=config(tmp_path))
    assert "did you mean 'tweets'?" in (err.value.hint or "")


def test_falls_back_to_scrapers(sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "scrapers", lambda: {"live": lambda engine, cfg: "report"})
    assert import_source(sqlite_engine, "live", path=None, config=config(tmp_path)) == "report"


def test_read_files_hashes_folders_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("2")
    (tmp_path / "a.txt").write_text("1")
    files, sha = read_files(tmp_path, "*.txt")
    assert [n for n, _ in files] == ["a.txt", "b.txt"] and len(sha) == 64
    with pytest.raises(DataSourceError, match=r"no \*\.json"):
        read_files(tmp_path, "*.json")


def test_generic_labels_with_user_path(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "wapo.csv"
    path.write_text("text,date\nWe built it.,2019-01-02\n,2019-01-03\n", encoding="utf-8")
    report = import_source(engine, "generic_labels", path=path, config=config(tmp_path))
    assert (report.inserted, report.rejected, report.labels_inserted) == (1, 1, 1)


@pytest.mark.shared_data
def test_label_sources_end_to_end(engine: Engine, shared_data: Path) -> None:
    cfg = config(shared_data)
    ts = import_source(engine, "toronto_star", path=None, config=cfg)
    cnn = import_source(engine, "cnn", path=None, config=cfg)
    # 9 rows of liar.csv repeat an earlier row's claim on the same day: one label each
    assert (ts.inserted, ts.labels_inserted, ts.skipped, cnn.inserted, cnn.labels_inserted) == (1963, 1963, 9, 707, 707)
    again = import_source(engine, "toronto_star", path=None, config=cfg)
    assert (again.inserted, again.duplicate, again.labels_inserted) == (0, 1963, 0)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(statements)).scalar_one() == 2670
        assert conn.execute(sa.select(sa.func.count()).select_from(fact_check_labels)).scalar_one() == 2670
