"""The table of bad command lines the harness in ``test_bad_inputs.py`` runs, one list of rows per command.

Every command found in the parser gets the GENERIC rows (unknown flag, bytes that are not UTF-8, a store
that does not exist, a DB URL whose password needs URL-encoding and whose server is down, a DB URL that is
not valid). A command's own rows go in ``COMMAND_ROWS`` under its name (``"evaluate card"``): add yours
there. ``NO_STORE`` lists commands that never open the store (the store rows then only check that nothing
is created); ``CREATES_STORE`` the ones allowed to create one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A password with every character that needs URL-encoding, and the URL-encoded form the URL carries.
PASSWORD = "p@ss%w0rd:/#Xq"
PASSWORD_URL = "p%40ss%25w0rd%3A%2F%23Xq"
TOKEN = "tok-Zq81-SeCrEt"  # given as DC_API_TOKEN / DC_API_KEY / DC_TWITTER_BEARER_TOKEN to every row
SECRETS = (PASSWORD, PASSWORD_URL, TOKEN, "w0rd:/#Xq", "p%40ss")

DOWN_DB = f"mysql+mysqlconnector://dc_user:{PASSWORD_URL}@127.0.0.1:1/dc"  # port 1: nothing listens
BAD_PORT_DB = f"mysql+mysqlconnector://dc_user:{PASSWORD_URL}@127.0.0.1:notaport/dc"
UNSUPPORTED_DB = f"postgresql://dc_user:{PASSWORD_URL}@127.0.0.1/dc"


@dataclass(frozen=True)
class Bad:
    """One bad invocation: ``argv`` after the command (``{tmp}``, ``{model}`` are filled in), extra env, and a
    piece of text the ``Error:`` line must hold. ``fill`` adds valid values for the command's required
    arguments first (so the row tests what it means to test, not a missing argument)."""

    id: str
    argv: tuple[str, ...] = ()
    env: dict[str, str | None] = field(default_factory=dict)
    expect: str = ""
    fill: bool = True
    store: str = "shared"  # shared: the populated store; missing: a data dir that does not exist; env: env's URL


GENERIC = [
    Bad("unknown-flag", ("--no-such-flag",), expect="unrecognized arguments"),
    Bad("non-utf8-argument", ("\udcff\udcfeabc",), expect="is not valid UTF-8"),
    Bad("missing-store", store="missing", expect="no store at"),
    Bad("db-down-password", env={"DC_DB_URL": DOWN_DB}, store="env", expect="cannot connect"),
    Bad("db-url-bad-port", env={"DC_DB_URL": BAD_PORT_DB}, store="env", expect="is not valid"),
    Bad("db-unsupported", env={"DC_DB_URL": UNSUPPORTED_DB}, store="env", expect="not supported"),
]

HUGE = "word " * 200_000

COMMAND_ROWS: dict[str, list[Bad]] = {
    "db upgrade": [
        Bad("unwritable-sqlite", env={"DC_DB_URL": "sqlite:////proc/dc/store.sqlite"}, store="env", expect="/proc"),
        Bad("sqlite-is-a-folder", env={"DC_DB_URL": "sqlite:///{tmp}"}, store="env"),
    ],
    "predict": [
        Bad("type-capitalised", ("--type", "Tweet", "some words"), fill=False, expect="unknown statement type 'Tweet'"),
        Bad("type-unknown", ("--type", "nosuchtype", "some words"), fill=False, expect="use one of: tweet, non_tweet"),
        Bad("empty-text", ("",), fill=False, expect="nothing left to classify"),
        Bad("blank-text", ("   ",), fill=False, expect="nothing left to classify"),
        Bad("huge-text", (HUGE,), fill=False, expect="characters"),
        Bad("non-utf8-text", ("caf\udce9 ok",), fill=False, expect="not valid UTF-8"),
        Bad("model-bad-id", ("--model", "999999", "some words"), fill=False, expect="999999"),
        Bad("model-bad-name", ("--model", "no-such-model", "some words"), fill=False, expect="no-such-model"),
        Bad("model-folder-broken", ("--model", "2", "some words"), fill=False, expect="cannot be loaded"),
    ],
    "train": [
        Bad("resume-without-full", ("--resume", "{tmp}"), expect="--resume applies to full fine-tuning only"),
        Bad("resume-missing", ("--full", "--resume", "{tmp}/nope"), expect="does not exist"),
        Bad("collection-bad-id", ("--collection", "999999"), expect="999999"),
        Bad("collection-not-int", ("--collection", "abc"), expect="invalid int value"),
        Bad("runs-dir-unwritable", ("--set", "paths.runs_dir=/proc/dc_runs"), expect="/proc/dc_runs"),
    ],
    "evaluate": [
        Bad("model-bad-id", ("--model", "999999"), expect="999999"),
        Bad("date-bad", ("--from", "yesterday"), expect="not a date"),
        Bad("split-bad", ("--split", "holdout"), expect="invalid choice"),
        Bad("compare-bad-id", ("--compare", "{model}", "999999"), expect="999999"),
    ],
    "evaluate card": [
        Bad("model-bad-id", ("999999",), fill=False, expect="999999"),
        Bad("out-unwritable", ("{model}", "--out", "/proc/dc/card.md"), fill=False, expect="/proc/dc"),
        Bad("out-is-a-folder", ("{model}", "--out", "{tmp}"), fill=False, expect="{tmp}"),
    ],
    "evaluate realised": [Bad("model-bad-id", ("--model", "999999"), expect="999999")],
    "dataset report": [
        Bad("bad-id", ("999999",), fill=False, expect="999999"),
        Bad("not-int", ("abc",), fill=False, expect="invalid int value"),
    ],
    "ingest": [
        Bad("no-source", (), fill=False, expect="exactly one of --source"),
        Bad("unknown-source", ("--source", "nope"), expect="unknown source 'nope'"),
        Bad("missing-path", ("--source", "liar", "--path", "{tmp}/missing.tsv"), expect="missing.tsv"),
        Bad("path-with-all", ("--all", "--path", "{tmp}"), expect="--path applies to one --source"),
    ],
    "serve": [
        Bad("port-too-big", ("--port", "99999"), expect="port"),
        Bad("port-negative", ("--port", "-5"), expect="port"),
        Bad("port-not-int", ("--port", "http"), expect="invalid int value"),
        Bad("port-in-use", ("--port", "{busy_port}"), expect="cannot listen on 127.0.0.1:"),
        Bad("host-unknown", ("--host", "no-such-host.invalid"), expect="cannot listen on no-such-host.invalid"),
        Bad("host-not-local", ("--host", "192.0.2.1"), expect="cannot listen on 192.0.2.1"),
        Bad("model-bad-id", ("--model", "999999"), expect="999999"),
        Bad("model-folder-broken", ("--model", "2"), expect="cannot be loaded"),
    ],
    "schedule write": [
        Bad("encoder-missing", ("--encoder", "{tmp}/no_encoder"), expect="no_encoder"),
        Bad("out-unwritable", ("--out", "/proc/dc/schedule.yaml"), expect="/proc/dc"),
    ],
    "demo": [
        Bad("shared-data-missing", ("--set", "paths.shared_data={tmp}/no_data"), store="missing", expect="no_data"),
    ],
}

# Commands that never open the store (the store rows are left out for them), and those allowed to create one
# (every other command must not).
NO_STORE = {"schedule write", "site serve"}
CREATES_STORE = {"db upgrade", "demo"}
# Arguments that take a command as far as opening the store, for the generic store rows.
REACH_STORE: dict[str, tuple[str, ...]] = {"ingest": ("status",)}
# Commands that check their own config before opening the store: the store rows still assert one clean
# Error line, no secret and no store created, but not which error comes first.
CONFIG_FIRST = {"tune", "tune run", "tune report"}
