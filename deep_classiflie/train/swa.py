"""Stochastic weight averaging over saved checkpoints with ``torch.optim.swa_utils.AveragedModel``.

The averaged weights are the ones the run saves and evaluates.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

from torch import nn
from torch.optim.swa_utils import AveragedModel

from deep_classiflie.core.errors import ModelError
from deep_classiflie.train.checkpoint import load_model_weights


def average_checkpoints(model: nn.Module, folders: Sequence[Path]) -> nn.Module:
    """Load the equal-weight average of the checkpoints' weights into ``model`` and return it.

    1. Build an ``AveragedModel`` around a scratch copy of ``model``.
    2. For each checkpoint: load its weights into the scratch copy, ``update_parameters``.
    3. Copy the averaged parameters back into ``model`` (buffers are those of ``model``).
    """
    if not folders:
        raise ModelError("no checkpoints to average", hint="train at least one epoch, or set finetune.swa: none")
    scratch = copy.deepcopy(model)
    averaged = AveragedModel(scratch)
    for folder in folders:
        load_model_weights(folder, scratch)
        averaged.update_parameters(scratch)
    model.load_state_dict(averaged.module.state_dict())
    return model
