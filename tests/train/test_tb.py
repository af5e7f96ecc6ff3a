"""TensorBoard logging: event files where tensorboard is installed, a warning and no failure where it is not."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
import torch

from deep_classiflie.train.tb import TrainLogger


def _opt() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)


def test_writes_event_files(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    logger = TrainLogger(tmp_path / "tb")
    logger.step(1, 0.5, _opt())
    logger.epoch(0, {"epoch": 0, "val_loss": 0.4})
    logger.close()
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


def test_without_tensorboard_training_goes_on_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import raises ImportError
    logger = TrainLogger(tmp_path / "tb")
    with caplog.at_level(logging.WARNING, logger="deep_classiflie.train.tb"):
        for step in range(3):
            logger.step(step, 0.5, _opt())
        logger.epoch(0, {"epoch": 0, "val_loss": 0.4})
        logger.close()
    warnings = [r for r in caplog.records if "no TensorBoard logs" in r.getMessage()]
    assert len(warnings) == 1 and "pip install tensorboard" in warnings[0].getMessage()
    assert not (tmp_path / "tb").exists()
