"""Every CLI command, with a table of bad arguments: one ``Error:`` line, no traceback, no secret, store intact.

The commands come from the parser itself (so new ones are included the moment they are registered); the
rows from :mod:`tests.cli.bad_inputs`. Each row runs ``main`` in-process against a populated SQLite store
(a dataset collection and a tiny trained model) and asserts: exit code ≠ 0, exactly one line starting
``Error:``, no traceback, no secret (DB password in either form, API tokens) anywhere in stdout/stderr,
the store's row counts unchanged, and no store created by a command that must not create one. A few rows
also run as real subprocesses (real argv bytes, real stderr).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest
import sqlalchemy as sa

from deep_classiflie.cli.failures import INTERNAL_PREFIX
from deep_classiflie.cli.main import build_parser, main
from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.schema import metadata
from tests.cli.bad_inputs import (
    COMMAND_ROWS,
    CONFIG_FIRST,
    CREATES_STORE,
    GENERIC,
    NO_STORE,
    REACH_STORE,
    SECRETS,
    TOKEN,
    Bad,
)
from tests.dataset.helpers import seed_store

ROOT = Path(__file__).resolve().parents[2]
ROW_SECONDS = 60  # a row that runs longer is stuck (e.g. a server that started): fail it, do not hang


# ---------------------------------------------------------------- the commands, from the parser


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def discover_commands(parser: argparse.ArgumentParser | None = None) -> dict[str, argparse.ArgumentParser]:
    """Every runnable command path (``"db upgrade"``, ``"predict"``, ``"evaluate card"`` …) → its parser."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(prefix: tuple[str, ...], p: argparse.ArgumentParser) -> None:
        sub = _subparsers(p)
        if prefix and (sub is None or not sub.required):
            found[" ".join(prefix)] = p  # runs on its own (a group whose action is optional runs too)
        if sub is not None:
            for name, child in sub.choices.items():
                walk((*prefix, name), child)

    walk((), parser or build_parser())
    return found


def required_values(p: argparse.ArgumentParser) -> list[str]:
    """Valid-looking values for a command's required arguments, so a row fails for its own reason."""
    out: list[str] = []
    for action in p._actions:
        if isinstance(action, (argparse._SubParsersAction, argparse._HelpAction)):
            continue
        value = str(action.choices[0]) if action.choices else "1"  # type: ignore[index]
        if not action.option_strings and action.nargs not in ("?", "*"):
            n = action.nargs if isinstance(action.nargs, int) else 1
            out.extend([value] * n)
        elif action.option_strings and action.required:
            out.extend([action.option_strings[0], value])
    return out


COMMANDS = discover_commands()


def _rows() -> Iterator[object]:
    for command in sorted(COMMANDS):
        for row in [*GENERIC, *COMMAND_ROWS.get(command, [])]:
            if row.id == "missing-store" and command == "db upgrade":
                continue  # creating the store is what it is for
            if row.store != "shared" and command in NO_STORE:
                continue
            yield pytest.param(command, row, id=f"{command.replace(' ', '-')}:{row.id}")


def test_the_table_names_real_commands() -> None:
    assert {"db upgrade", "db current", "predict", "train", "evaluate", "serve", "ingest"} <= set(COMMANDS)
    stale = set(COMMAND_ROWS) - set(COMMANDS)
    assert not stale, f"rows for commands the CLI no longer has: {stale}"


# ---------------------------------------------------------------- the populated store


@dataclass
class World:
    tmp: Path
    db: Path
    base: list[str]  # --set arguments every row gets
    model: str  # id of the registered model version
    busy_port: int  # a port something listens on


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_path: Path) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("bad_inputs")
    db = tmp / "dc" / "deep_classiflie.sqlite"
    db.parent.mkdir()
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    seed_store(engine)
    engine.dispose()
    (tmp / "no_shared_data").mkdir()
    task = tmp / "task.yaml"  # the harness's own task, so other stages' task changes do not move it
    task.write_text(
        "kind: falsehood_binary\ndescription: harness\nclasses: [not_falsehood, falsehood]\n"
        "speaker: Donald Trump\nrating_sources: [toronto_star]\nsplit: stratified\n",
        encoding="utf-8",
    )
    base = [
        *("--set", f"paths.data_dir={db.parent}", "--set", f"paths.runs_dir={tmp / 'runs'}"),
        *("--set", f"paths.shared_data={tmp / 'no_shared_data'}", "--set", f"encoder.path={tiny_encoder_path}"),
        *("--set", "dataset.filter.embedding=none", "--set", "train.epochs=1", "--set", f"dataset.task={task}"),
    ]
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("DC_")}
    cwd = os.getcwd()
    os.chdir(tmp)  # no stray .env
    try:
        _register_tiny_model(db, tmp, tiny_encoder_path)
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            yield World(tmp=tmp, db=db, base=base, model="1", busy_port=listener.getsockname()[1])
    finally:
        os.chdir(cwd)
        os.environ.update(saved)


def _register_tiny_model(db: Path, tmp: Path, encoder: Path) -> None:
    """A tiny head model registered in the store (through the train API, not the dataset stage)."""
    from deep_classiflie.config import Config
    from deep_classiflie.train.api import train_model
    from tests.train.conftest import make_split

    cfg = Config.model_validate(
        {
            "paths": {"data_dir": str(db.parent), "runs_dir": str(tmp / "runs")},
            "encoder": {"path": str(encoder), "max_length": 32, "batch_size": 8},
            "train": {"epochs": 1, "batch_size": 8},
        }
    )
    splits = {"train": make_split("train", 16, seed=0), "val": make_split("val", 8, seed=1)}
    engine = make_engine(f"sqlite:///{db}", create=False)
    try:
        train_model(engine, cfg, splits, collection_id=None, out_dir=tmp / "models")
        # model version 2: its folder is there but broken (weights that are not safetensors)
        broken = train_model(engine, cfg, splits, collection_id=None, out_dir=tmp / "models").folder
        for name in ("model.safetensors",):
            if (broken / name).exists():
                (broken / name).write_bytes(b"\x00not what it should be")
    finally:
        engine.dispose()


def row_counts(db: Path) -> dict[str, int]:
    """Rows per table of the store (the harness asserts a bad command changes none)."""
    engine = make_engine(f"sqlite:///{db}", create=False)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables
                if t.name in names
            }
    finally:
        engine.dispose()


class _Stuck(BaseException):
    """Raised by the alarm inside a row that does not finish (BaseException: ``main`` must not catch it)."""


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise _Stuck


def check_output(out: str, err: str, row: Bad, expect: str) -> None:
    """The assertions every bad row shares."""
    text = out + err
    error_lines = [line for line in text.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, f"want exactly one Error: line, got {len(error_lines)}:\n{text[-2000:]}"
    assert "Traceback (most recent call last)" not in text, text[-3000:]
    assert not error_lines[0].startswith(f"Error: {INTERNAL_PREFIX}"), error_lines[0]
    for secret in SECRETS:
        assert secret not in text, f"secret {secret!r} printed: {text[-2000:]}"
    if expect:
        assert expect in error_lines[0], f"expected {expect!r} in {error_lines[0]!r}"


# ---------------------------------------------------------------- the harness


@pytest.mark.parametrize(("command", "row"), list(_rows()))
def test_bad_input(
    command: str,
    row: Bad,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One command × one bad row."""
    fill = {"tmp": str(tmp_path), "model": world.model, "busy_port": str(world.busy_port)}
    args = [a.format(**fill) for a in row.argv]
    expect = row.expect.format(**fill)
    monkeypatch.chdir(tmp_path)
    for name in ("DC_API_TOKEN", "DC_API_KEY", "DC_TWITTER_BEARER_TOKEN"):
        monkeypatch.setenv(name, TOKEN)
    monkeypatch.setenv("DC_DB_URL", f"sqlite:///{world.db}")
    base = list(world.base)
    missing = tmp_path / "missing_data_dir"
    if row.store == "missing":
        monkeypatch.delenv("DC_DB_URL")
        base += ["--set", f"paths.data_dir={missing}"]
    for key, value in row.env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value.format(**fill))
    filled = required_values(COMMANDS[command]) if row.fill else []
    if row.store != "shared" and row in GENERIC:
        filled += REACH_STORE.get(command, ())
        if command in CONFIG_FIRST or (command in CREATES_STORE and row.id == "missing-store"):
            expect = ""  # it fails first for another reason; the other assertions still hold
    argv = [*base, *command.split(), *filled, *args]
    before = row_counts(world.db)
    capsys.readouterr()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(ROW_SECONDS)
    try:
        code = main(argv)
    except _Stuck:
        pytest.fail(f"`{command}` did not finish within {ROW_SECONDS} s for a bad input (a server started?)")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    assert code != 0, f"exit code 0 for a bad input:\n{(out + err)[-2000:]}"
    check_output(out, err, row, expect)
    assert row_counts(world.db) == before, "a failed command changed the store"
    if command not in CREATES_STORE:
        assert not missing.exists(), f"{command} created {missing}"


# ---------------------------------------------------------------- real processes


def _run(argv: list[str | bytes], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DC_")} | env
    return subprocess.run(
        [sys.executable, str(ROOT / "deep_classiflie.py"), *argv],
        capture_output=True,
        env=full,
        cwd=cwd,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_real_processes(world: World, tmp_path: Path) -> None:
    """Real argv bytes and real stderr: non-UTF-8 text, a URL-encoded password, a missing store, --debug."""
    env = {"DC_DB_URL": f"sqlite:///{world.db}", "DC_API_TOKEN": TOKEN}
    before = row_counts(world.db)
    runs = [
        ([*world.base, "predict", b"caf\xe9 \xff"], env, "is not valid UTF-8"),
        (
            [*world.base, "db", "upgrade"],
            {**env, "DC_DB_URL": "mysql+mysqlconnector://u:p%40ss%25w0rd%3A%2F%23Xq@127.0.0.1:1/d"},
            "cannot connect",
        ),
        (
            [*world.base, "--set", f"paths.data_dir={tmp_path / 'none'}", "db", "current"],
            {"DC_API_TOKEN": TOKEN},
            "no store at",
        ),
        ([*world.base, "predict", "--type", "Tweet", "the wall"], env, "unknown statement type"),
    ]
    for argv, run_env, expect in runs:
        result = _run(argv, run_env, tmp_path)  # type: ignore[arg-type]
        out, err = result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
        assert result.returncode != 0, out + err
        check_output(out, err, Bad("process"), expect)
    assert not (tmp_path / "none").exists()
    # --debug adds the traceback, still without the password
    result = _run(
        [*world.base, "--debug", "db", "upgrade"],
        {"DC_DB_URL": "mysql+mysqlconnector://u:p%40ss%25w0rd%3A%2F%23Xq@127.0.0.1:notaport/d"},
        tmp_path,
    )
    text = result.stdout.decode() + result.stderr.decode()
    assert result.returncode != 0 and "Traceback (most recent call last)" in text
    assert not any(s in text for s in SECRETS), text
    assert row_counts(world.db) == before
