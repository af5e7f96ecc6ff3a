"""Task definitions in configs/tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from deep_classiflie.config.dataset import DatasetConfig
from deep_classiflie.core.errors import ConfigError
from deep_classiflie.dataset.tasks import TASKS_DIR, load_task


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
