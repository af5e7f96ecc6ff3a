"""DB passwords that need URL-encoding work on both engines, and no secret reaches any output.

The full run (db upgrade → ingest a small LIAR-format file → build-dataset → train a tiny head → evaluate →
predict) runs as real processes against MariaDB with a user whose password holds ``@ % : / #``, with API
tokens in ``DC_*`` variables, and greps everything it produced: stdout, stderr (logs at debug level), every
file under the data and runs folders (resolved configs, model folders, reports) and every row of the store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from deep_classiflie.cli.main import main
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.schema import metadata
from tests.cli.bad_inputs import PASSWORD, PASSWORD_URL, SECRETS, TOKEN
from tests.conftest import MARIADB_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]
TOKENS = {"DC_API_TOKEN": TOKEN, "DC_API_KEY": TOKEN + "k", "DC_TWITTER_BEARER_TOKEN": TOKEN + "b"}
ALL_SECRETS = (*SECRETS, *TOKENS.values())
assert quote(PASSWORD, safe="") == PASSWORD_URL


@pytest.fixture
def password_url(mariadb_url: str) -> Iterator[str]:
    """The fresh MariaDB database, reached as a user whose password needs URL-encoding."""
    database = mariadb_url.rsplit("/", 1)[1]
    user = f"dc_pw_{uuid.uuid4().hex[:8]}"
    admin = make_engine(MARIADB_ADMIN_URL + "/mysql")
    with admin.begin() as conn:
        for host in ("%", "localhost", "127.0.0.1"):
            conn.execute(sa.text(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY :pw"), {"pw": PASSWORD})
            conn.execute(sa.text(f"GRANT ALL ON `{database}`.* TO '{user}'@'{host}'"))
    try:
        yield f"mysql+mysqlconnector://{user}:{PASSWORD_URL}@127.0.0.1:3306/{database}"
    finally:
        with admin.begin() as conn:
            for host in ("%", "localhost", "127.0.0.1"):
                conn.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'{host}'"))
        admin.dispose()


def _no_secret(text: str, where: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text, f"secret {secret!r} found in {where}"


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DC_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)


def test_sqlite_in_memory(no_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DC_DB_URL", "sqlite:///:memory:")
    assert main(["db", "upgrade"]) == 0
    assert "is at revision" in capsys.readouterr().out


def test_sqlite_path_with_url_characters(no_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "p%ss@d#ir:x"
    assert main(["--set", f"paths.data_dir={data_dir}", "db", "upgrade"]) == 0
    assert main(["--set", f"paths.data_dir={data_dir}", "db", "current"]) == 0
    assert f"store sqlite:///{data_dir / 'deep_classiflie.sqlite'}: revision" in capsys.readouterr().out


@pytest.mark.mariadb
def test_url_encoded_password_on_mariadb(
    no_env: None, password_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DC_DB_URL", password_url)
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    out, err = capsys.readouterr()
    assert "revision" in out and "***" in out
    _no_secret(out + err, "db upgrade/current output")


@pytest.mark.mariadb
@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (lambda url: url.replace(PASSWORD_URL, PASSWORD_URL + "x"), "check the user and password in DC_DB_URL"),
        (lambda url: url.rsplit("/", 1)[0] + "/dc_no_such_db", "may not use that database, or it does not exist"),
        (lambda url: MARIADB_ADMIN_URL + "/dc_no_such_db", "create the database"),
        (lambda url: url.replace(":3306/", ":1/"), "is MariaDB running at that host and port?"),
    ],
    ids=["1045-access-denied", "1044-no-rights", "1049-unknown-database", "2003-cannot-connect"],
)
def test_db_error_hints_fit_the_code(
    no_env: None,
    password_url: str,
    change: object,
    expect: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DC_DB_URL", change(password_url))  # type: ignore[operator]
    assert main(["db", "current"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: cannot connect to the database") and expect in err[0]
    _no_secret(err[0], "the error line")


WORDS = [
    "tax",
    "wall",
    "border",
    "trade",
    "jobs",
    "china",
    "media",
    "crime",
    "economy",
    "health",
    "vote",
    "court",
    "budget",
    "energy",
    "farm",
]


def _liar_fixture(path: Path, n: int = 60) -> None:
    labels = ["pants-fire", "false", "barely-true", "half-true", "mostly-true", "true"]
    lines = []
    for i in range(n):
        text = " ".join(WORDS[(i * 3 + j) % len(WORDS)] for j in range(6 + i % 5)) + f" claim {i}"
        lines.append(f"{i}.json\t{labels[i % 6]}\t{text}\ttaxes\tspeaker-{i % 4}\tjob\tTexas\tnone\t0\t1\t0\t0\t0\tad")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _dump_store(url: str) -> str:
    """Every row of every table, as text."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
            return "\n".join(
                repr(tuple(row)) for t in metadata.sorted_tables if t.name in names for row in conn.execute(t.select())
            )
    finally:
        engine.dispose()


@pytest.mark.mariadb
@pytest.mark.slow
def test_full_run_prints_and_stores_no_secret(password_url: str, tiny_encoder_path: Path, tmp_path: Path) -> None:
    data = tmp_path / "liar.tsv"
    _liar_fixture(data)
    task = tmp_path / "task.yaml"
    task.write_text(
        "kind: labelled\nclasses: [not_false, is_false]\nsources: [liar]\nsplit: stratified\nhead_features: []\n"
        'label_map: {pants-fire: 1, "false": 1, barely-true: 1, half-true: 0, mostly-true: 0, "true": 0}\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DC_")} | TOKENS | {"DC_DB_URL": password_url}
    base = [
        *("-v", "--set", f"paths.data_dir={tmp_path / 'dc'}", "--set", f"paths.runs_dir={tmp_path / 'runs'}"),
        *("--set", f"encoder.path={tiny_encoder_path}", "--set", "train.epochs=1"),
        # relative to the cwd: a task given as a path is stored as its name, in a 64-character column
        *("--set", "dataset.task=task.yaml", "--set", "dataset.filter.embedding=none"),
    ]
    steps = [
        ["db", "upgrade"],
        ["ingest", "--source", "liar", "--path", str(data)],
        ["ingest", "status"],
        ["build-dataset"],
        ["train"],
        ["evaluate"],
        ["predict", "--type", "claim", "taxes are the highest in the world"],
        ["db", "current"],
    ]
    for step in steps:
        result = subprocess.run(
            [sys.executable, str(ROOT / "deep_classiflie.py"), *base, *step],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{step}: {output[-3000:]}"
        _no_secret(output, f"the output of {step}")
        if step[0] == "db":
            assert ":***@127.0.0.1" in output  # the URL is shown, with its password blanked
    files = [p for folder in (tmp_path / "dc", tmp_path / "runs") for p in folder.rglob("*") if p.is_file()]
    assert any(p.name.endswith((".yaml", ".json")) for p in files)  # resolved configs, reports were written
    for path in files:
        _no_secret(path.read_bytes().decode("utf-8", errors="replace"), str(path))
    _no_secret(_dump_store(password_url), "the store's rows")
