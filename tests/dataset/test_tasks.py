"""Task definitions in configs/tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from deep_classiflie.config.dataset import DatasetConfig
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.dataset.tasks import TASKS_DIR, load_task, meta_text


@pytest.mark.parametrize("name", sorted(p.stem for p in TASKS_DIR.glob("*.yaml")))
def test_every_shipped_task_loads(name: str) -> None:
    assert load_task(DatasetConfig(task=name)).classes


def test_liar_mapping_and_leaky_counts_off_by_default() -> None:
    six = load_task(DatasetConfig(task="liar_6way"))
    assert six.label_map == {"pants-fire": 0, "false": 1, "barely-true": 2, "half-true": 3, "mostly-true": 4, "true": 5}
    assert six.credit_history_key is None and six.split == "given"
    on = load_task(DatasetConfig(task="liar_binary", use_credit_history=True, meta_features=[]))
    assert on.credit_history_key == "credit_history" and on.meta_features == []
    assert on.label_map is not None and on.label_map["barely-true"] == 1


def test_unknown_task_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="no definition") as err:
        load_task(DatasetConfig(task="liar_7way"))
    assert "liar_6way" in (err.value.hint or "")


def test_bad_label_map_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("kind: labelled\nclasses: [a, b]\nlabel_map: {x: 2}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="class ids"):
        load_task(DatasetConfig(task=str(path)))


@pytest.mark.parametrize(
    ("meta", "keys", "expected"),
    [
        (
            {"speaker": "barack-obama", "party": "democrat", "subjects": "energy,job-accomplishments"},
            ["speaker", "party", "subjects"],
            "speaker: barack obama; party: democrat; subjects: energy, job accomplishments. The text.",
        ),
        (
            {"speaker_job": "State delegate", "state": ""},
            ["state", "speaker_job"],
            "speaker job: State delegate. The text.",
        ),
        ({"party": None}, ["party", "context"], "The text."),
        ({"party": "democrat"}, [], "The text."),
    ],
    ids=["slugs-read-as-words", "empty-values-left-out", "no-metadata-text-unchanged", "no-keys"],
)
def test_meta_text_prefix(meta: dict[str, object], keys: list[str], expected: str) -> None:
    assert meta_text("The text.", meta, keys) == expected


def test_liar_meta_variant_reads_metadata_but_not_credit_history() -> None:
    meta = load_task(DatasetConfig(task="liar_6way_meta"))
    assert meta.text_meta == ["speaker", "party", "speaker_job", "state", "subjects", "context"]
    assert meta.credit_history_key is None and meta.meta_features == []
    text_only = load_task(DatasetConfig(task="liar_6way"))
    assert text_only.text_meta == [] and (meta.classes, meta.label_map) == (text_only.classes, text_only.label_map)
