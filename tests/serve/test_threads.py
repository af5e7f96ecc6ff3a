"""The serving process runs PyTorch off its main thread (serve/threads.py): model loads in short-lived threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from deep_classiflie.config import Config
from deep_classiflie.serve import app as app_module
from deep_classiflie.serve.threads import run_in_fresh_thread


def test_run_in_fresh_thread_returns_the_value_from_a_thread_that_has_exited() -> None:
    seen: list[threading.Thread] = []

    def work() -> int:
        seen.append(threading.current_thread())
        return 42

    assert run_in_fresh_thread(work, name="dc-test") == 42
    assert seen[0] is not threading.main_thread()
    assert seen[0].name == "dc-test"
    assert not seen[0].is_alive()


def test_run_in_fresh_thread_reraises_the_exception() -> None:
    class Boom(RuntimeError):
        pass

    def work() -> None:
        raise Boom("the model folder is gone")

    with pytest.raises(Boom, match="the model folder is gone"):
        run_in_fresh_thread(work, name="dc-test")


def test_build_state_loads_the_model_off_the_main_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded_in: list[threading.Thread] = []
    sentinel: Any = object()

    def fake_load(engine: Any, ref: Any, config: Any, *, data_dir: Any) -> Any:
        loaded_in.append(threading.current_thread())
        return sentinel

    monkeypatch.setattr("deep_classiflie.serve.state.load_served", fake_load)
    state = app_module.build_state(Config.model_validate({}), engine=None, api_key=None)  # type: ignore[arg-type]
    assert state.holder.current is sentinel
    assert loaded_in and loaded_in[0] is not threading.main_thread()
    assert loaded_in[0].name == "dc-load" and not loaded_in[0].is_alive()
