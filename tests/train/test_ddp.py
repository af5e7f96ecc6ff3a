"""DDP through torch.distributed on 2 CPU processes (gloo): one step equals a single-process step on the
combined batch, and every rank ends with the same weights."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as tdist
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

from deep_classiflie.model.classifier import build_model
from deep_classiflie.model.head import HeadConfig
from deep_classiflie.train.batches import encode_split, iter_batches
from deep_classiflie.train.distributed import DistInfo, shutdown_distributed, wrap_ddp
from deep_classiflie.train.finetune import train_step
from tests.train.conftest import make_split


def _step(encoder: Path, rank: int, world: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    model, tok = build_model(encoder, HeadConfig(input_dim=32, hidden_dim=16, dropout=0.0))
    model.encoder.config.hidden_dropout_prob = 0.0
    model.eval()  # no dropout: the two runs must see the same function
    data = encode_split(make_split("train", 8, seed=0), tok, max_length=32)
    batch = next(iter_batches(data, batch_size=8, seed=1, epoch=0, shuffle=True, rank=rank, world=world))
    net = wrap_ddp(model, DistInfo(rank, world))
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    train_step(net, batch, opt, num_classes=2, label_smoothing=0.0, grad_clip=0.0, autocast=False)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _worker(rank: int, world: int, init: str, encoder: str, out: str) -> None:
    torch.set_num_threads(1)
    tdist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
    save_file(_step(Path(encoder), rank, world), f"{out}/rank{rank}.safetensors")
    shutdown_distributed()
    assert not tdist.is_initialized()


@pytest.mark.slow
def test_two_gloo_ranks_match_each_other_and_a_single_process(tiny_encoder_path: Path, tmp_path: Path) -> None:
    init = f"file://{tmp_path / 'rendezvous'}"
    mp.spawn(_worker, args=(2, init, str(tiny_encoder_path), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1))
    single = _step(tiny_encoder_path, 0, 1)
    changed = 0
    for name, value in single.items():
        assert torch.equal(r0[name], r1[name]), name
        torch.testing.assert_close(r0[name], value, rtol=1e-5, atol=1e-6)
        changed += int(not torch.equal(value, _initial(tiny_encoder_path)[name]))
    assert changed > 0  # the step did move the weights


_INIT: dict[str, dict[str, torch.Tensor]] = {}


def _initial(encoder: Path) -> dict[str, torch.Tensor]:
    if "w" not in _INIT:
        torch.manual_seed(0)
        model, _ = build_model(encoder, HeadConfig(input_dim=32, hidden_dim=16, dropout=0.0))
        _INIT["w"] = model.state_dict()
    return _INIT["w"]


def _fit_worker(rank: int, world: int, init: str, encoder: str, out: str) -> None:
    from deep_classiflie.config.train import FinetuneConfig
    from deep_classiflie.train.finetune import fit
    from deep_classiflie.train.schedule import parse_schedule, resolve_schedule

    torch.set_num_threads(1)
    tdist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
    try:
        torch.manual_seed(0)
        model, tok = build_model(Path(encoder), HeadConfig(input_dim=32, hidden_dim=16))
        phases = parse_schedule(
            {0: {"params": ["head\\..*"], "max_transition_epoch": 1}, 1: {"params": ["encoder\\..*"], "lr": 1e-3}}
        )
        resolved = resolve_schedule(phases, [n for n, _ in model.named_parameters()])
        train = encode_split(make_split("train", 16, seed=0), tok, max_length=32)
        val = encode_split(make_split("val", 8, seed=1), tok, max_length=32)
        cfg = FinetuneConfig(base_lr=1e-2, max_epochs=3, batch_size=8, top_k=2, swa_n=2)
        result = fit(
            model,
            train,
            val,
            phases=phases,
            resolved=resolved,
            cfg=cfg,
            num_classes=2,
            label_smoothing=0.1,
            weight_decay=0.0,
            seed=1,
            out_dir=Path(out) / "run",
            dist=DistInfo(rank, world),
        )
        save_file({k: v.contiguous() for k, v in result.model.state_dict().items()}, f"{out}/fit{rank}.safetensors")
    finally:
        shutdown_distributed(wait=sys.exc_info()[0] is None)


@pytest.mark.slow
def test_phased_fit_under_ddp_ends_with_the_same_weights_on_every_rank(tiny_encoder_path: Path, tmp_path: Path) -> None:
    init = f"file://{tmp_path / 'rendezvous'}"
    mp.spawn(_fit_worker, args=(2, init, str(tiny_encoder_path), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (load_file(str(tmp_path / f"fit{r}.safetensors")) for r in (0, 1))
    assert all(torch.equal(r0[k], r1[k]) for k in r0)
    assert (tmp_path / "run" / "checkpoints" / "last" / "state.json").is_file()


def test_shutdown_without_a_group_is_a_no_op() -> None:
    assert not tdist.is_initialized()
    shutdown_distributed()
    shutdown_distributed(wait=False)
