"""Phased fine-tuning on the tiny encoder: phase changes, exact resume, SWA, checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from deep_classiflie.config.train import FinetuneConfig
from deep_classiflie.model.classifier import build_model
from deep_classiflie.model.head import HeadConfig
from deep_classiflie.train.batches import encode_split
from deep_classiflie.train.checkpoint import TopK, load_checkpoint, optimizer_from_files, optimizer_to_files
from deep_classiflie.train.finetune import fit
from deep_classiflie.train.schedule import parse_schedule, resolve_schedule
from deep_classiflie.train.swa import average_checkpoints

# Phase bounds 1, 2, 3: one epoch per phase, then the rest in the last phase.
SCHEDULE = {
    0: {"params": ["head\\..*"], "max_transition_epoch": 1},
    1: {"params": ["encoder\\.pooler\\..*"], "lr": 1e-3, "max_transition_epoch": 2},
    2: {"params": ["encoder\\.encoder\\.layer\\.\\d+\\.output\\..*"], "lr": 1e-3, "max_transition_epoch": 3},
    3: {
        "params": ["encoder\\.embeddings\\..*", "encoder\\.encoder\\.layer\\.\\d+\\.(attention|intermediate)\\..*"],
        "lr": 5e-4,
    },
}
# (epoch the phase starts, phase, trainable tensors) for the tiny BERT (see test_schedule.EXPECTED).
TRANSITIONS = [(1, 1, 9), (2, 2, 17), (3, 3, 46)]


def _run(
    tiny_encoder_path: Path, splits, out: Path, *, resume: Path | None = None, stop_after: int | None = None, **cfg
):
    torch.manual_seed(0)
    model, tok = build_model(tiny_encoder_path, HeadConfig(input_dim=32, hidden_dim=16, max_length=32))
    names = [n for n, _ in model.named_parameters()]
    phases = parse_schedule(SCHEDULE)
    settings = {
        "base_lr": 1e-2,
        "max_epochs": 5,
        "batch_size": 8,
        "patience": 10,
        "top_k": 2,
        "swa_n": 2,
        "log_every": 1,
        **cfg,
    }
    return fit(
        model,
        encode_split(splits["train"], tok, max_length=32),
        encode_split(splits["val"], tok, max_length=32),
        phases=phases,
        resolved=resolve_schedule(phases, names),
        cfg=FinetuneConfig(**settings),
        num_classes=2,
        label_smoothing=0.17,
        weight_decay=0.01,
        seed=3,
        out_dir=out,
        resume_from=resume,
        stop_after=stop_after,
    )


def test_phases_change_at_their_bounds_with_the_expected_trainable_parameters(
    tiny_encoder_path, tiny_splits, tmp_path
) -> None:
    result = _run(tiny_encoder_path, tiny_splits, tmp_path / "run", swa="none")
    got = [(t["epoch"], t["phase"], t["trainable"]) for t in result.state.transitions]
    assert got == TRANSITIONS
    assert [h["phase"] for h in result.state.history] == [0, 1, 2, 3, 3]
    assert (tmp_path / "run" / "checkpoints" / "last" / "optimizer.safetensors").is_file()
    assert len(list((tmp_path / "run" / "checkpoints").glob("epoch=*"))) == 2  # top-k = 2
    assert any((tmp_path / "run" / "tb").iterdir())


def test_resume_reproduces_the_uninterrupted_run_exactly(tiny_encoder_path, tiny_splits, tmp_path) -> None:
    full = _run(tiny_encoder_path, tiny_splits, tmp_path / "a", swa="none")
    _run(tiny_encoder_path, tiny_splits, tmp_path / "b", swa="none", stop_after=2)  # interrupted after 2 epochs
    resumed = _run(
        tiny_encoder_path, tiny_splits, tmp_path / "b", swa="none", resume=tmp_path / "b" / "checkpoints" / "last"
    )
    assert [h["val_loss"] for h in resumed.state.history] == [h["val_loss"] for h in full.state.history]
    a, b = full.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_swa_weights_are_the_mean_of_the_kept_checkpoints(tiny_encoder_path, tiny_splits, tmp_path) -> None:
    result = _run(tiny_encoder_path, tiny_splits, tmp_path / "run", swa="top_k")
    assert len(result.checkpoints) == 2
    inputs = [load_file(str(p / "model.safetensors")) for p in result.checkpoints]
    final = result.model.state_dict()
    for name, _ in result.model.named_parameters():
        mean = torch.stack([s[name] for s in inputs]).mean(0)
        torch.testing.assert_close(final[name], mean, rtol=1e-6, atol=1e-7)


def test_average_checkpoints_of_three_models_is_their_mean(tmp_path) -> None:
    from deep_classiflie.train.checkpoint import save_checkpoint

    folders, weights = [], []
    for i in range(3):
        torch.manual_seed(i)
        net = torch.nn.Linear(3, 2)
        opt = torch.optim.AdamW(net.parameters())
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
        folders.append(save_checkpoint(tmp_path / f"c{i}", net, opt, sched, {"epoch": i}))
        weights.append(net.weight.detach().clone())
    target = torch.nn.Linear(3, 2)
    average_checkpoints(target, folders)
    torch.testing.assert_close(target.weight.detach(), torch.stack(weights).mean(0))


def test_optimizer_state_round_trips_through_safetensors(tmp_path) -> None:
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(net.parameters(), lr=0.1)
    net(torch.randn(4, 3)).sum().backward()
    opt.step()
    tensors, meta = optimizer_to_files(opt)
    fresh = torch.optim.AdamW(torch.nn.Linear(3, 2).parameters(), lr=0.5)
    optimizer_from_files(fresh, tensors, meta)
    assert fresh.param_groups[0]["lr"] == 0.1
    torch.testing.assert_close(fresh.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_loading_a_folder_that_is_not_a_checkpoint_says_so(tmp_path) -> None:
    from deep_classiflie.core.errors import ModelError

    net = torch.nn.Linear(2, 2)
    opt = torch.optim.AdamW(net.parameters())
    with pytest.raises(ModelError, match="is not a checkpoint"):
        load_checkpoint(tmp_path, net, opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0))


@pytest.mark.parametrize(
    "metric,values,best", [("val_loss", [0.5, 0.3, 0.4], 0.3), ("val_mcc", [0.1, 0.6, 0.4], 0.6)], ids=["loss", "mcc"]
)
def test_top_k_keeps_the_best(metric: str, values: list[float], best: float) -> None:
    top = TopK(metric, 2)
    dropped = [top.add(v, i, Path(f"e{i}")) for i, v in enumerate(values)]
    assert top.entries[0][0] == best and len(top.entries) == 2
    assert sum(len(d) for d in dropped) == 1
