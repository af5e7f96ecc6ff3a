"""Docker images, compose file and systemd units, checked without a Docker engine (none runs in CI).

What can be checked here: every file they COPY exists, every command they run is a real CLI command of this
version, the pins agree with pyproject.toml, the images run as a non-root user, MariaDB gets the settings and
least-privilege users that docs/operations.md describes.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

import deep_classiflie
from deep_classiflie.cli.failures import UsageError
from deep_classiflie.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILES = sorted((ROOT / "docker").glob("Dockerfile.*"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def argv(text: str) -> list[str]:
    """The exec-form (JSON) or shell-form argument list of ENTRYPOINT/CMD."""
    return json.loads(text) if text.startswith("[") else shlex.split(text)


def assert_cli(args: list[str]) -> None:
    """``args`` parse as a deep-classiflie command line of this version."""
    try:
        build_parser().parse_args(args)
    except (SystemExit, UsageError) as stop:  # an unknown command or flag
        pytest.fail(f"not a valid deep-classiflie command line: {args} ({stop})")


def test_there_are_a_cpu_and_a_cuda_image() -> None:
    assert [p.name for p in DOCKERFILES] == ["Dockerfile.cpu", "Dockerfile.cuda"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_is_multistage_pinned_and_non_root(dockerfile: Path) -> None:
    ins = instructions(dockerfile)
    froms = [a for i, a in ins if i == "FROM"]
    assert len(froms) >= 2, "multi-stage: a build stage and a runtime stage"
    for image in froms:
        ref = image.split()[0]
        assert ":" in ref and not ref.endswith(":latest"), f"unpinned base image {ref}"
    final = max(k for k, (i, _) in enumerate(ins) if i == "FROM")
    users = [a for i, a in ins[final:] if i == "USER"]
    assert users and users[-1] not in ("root", "0"), "the runtime stage runs as a non-root user"
    text = dockerfile.read_text(encoding="utf-8")
    torch_pin = next(d for d in PYPROJECT["project"]["dependencies"] if d.startswith("torch"))
    assert torch_pin in text, f"{dockerfile.name} must install {torch_pin} like pyproject.toml"
    for python in re.findall(r"python:?(3\.\d+)", text):
        minor = int(python.split(".")[1])
        assert 11 <= minor <= 12, (
            f"Python {python} is outside requires-python {PYPROJECT['project']['requires-python']}"
        )
    assert not re.search(r"\.(safetensors|bin|pt|ckpt|npz)\b", text), "no weights baked into an image"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_copied_path_exists(dockerfile: Path) -> None:
    copies = [a for i, a in instructions(dockerfile) if i in ("COPY", "ADD")]
    assert copies
    for args in copies:
        parts = [p for p in shlex.split(args) if not p.startswith("--")]
        if "--from=" in args:
            continue  # copied from another stage, not from the build context
        for source in parts[:-1]:
            assert (ROOT / source).exists(), f"{dockerfile.name} copies {source}, which is not in the repository"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_entrypoint_and_cmd_are_real_commands(dockerfile: Path) -> None:
    ins = dict(instructions(dockerfile))  # the last ENTRYPOINT/CMD wins, as in Docker
    entry = argv(ins["ENTRYPOINT"])
    assert entry[0] == "deep-classiflie"
    assert_cli(entry[1:] + argv(ins["CMD"]))
    if "HEALTHCHECK" in ins and ins["HEALTHCHECK"] != "NONE":
        assert "/readyz" in ins["HEALTHCHECK"]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_services_run_real_commands() -> None:
    services = compose()["services"]
    assert {"mariadb", "migrate", "api", "publisher", "bot"} <= set(services)
    entry = argv(dict(instructions(ROOT / "docker" / "Dockerfile.cpu"))["ENTRYPOINT"])
    for name in ("migrate", "api", "publisher", "bot"):
        svc = services[name]
        assert svc["image"] == f"deep-classiflie:{deep_classiflie.__version__}", "image tag = the release version"
        assert_cli(entry[1:] + svc["command"])
        assert svc["build"]["dockerfile"] == "docker/Dockerfile.cpu"
        assert (ROOT / "docker" / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
        assert "DC_DB_URL" in svc["environment"]
    assert services["migrate"]["command"] == ["db", "upgrade"] and services["migrate"]["restart"] == "no"
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    for name in ("api", "publisher", "bot"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "dc_app:" in services[name]["environment"]["DC_DB_URL"], "services use the least-privilege user"


def test_compose_mariadb_settings_and_least_privilege_users() -> None:
    db = compose()["services"]["mariadb"]
    flags = " ".join(db["command"])
    for setting in ("--character-set-server=utf8mb4", "--transaction-isolation=READ-COMMITTED"):
        assert setting in flags
    assert "--innodb-flush-log-at-trx-commit=1" in flags
    assert db["image"].startswith("mariadb:10.11."), "the MariaDB series the tests run against"
    assert "healthcheck.sh" in db["healthcheck"]["test"]
    mount = next(v for v in db["volumes"] if "docker-entrypoint-initdb.d" in v)
    text = (ROOT / "docker" / mount.split(":")[0]).read_text(encoding="utf-8")
    script = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "GRANT ALL" not in script.upper() and "*.*" not in script
    grants = re.findall(r"GRANT (.+?)\s+ON deep_classiflie\.\* TO '(\w+)'", script, re.S)
    by_user = {user: {p.strip() for p in privs.split(",")} for privs, user in grants}
    assert by_user["dc_app"] == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert {"CREATE", "ALTER", "INDEX", "DROP"} <= by_user["dc_migrate"]
    env_example = (ROOT / "docker" / "env.example").read_text(encoding="utf-8")
    for var in re.findall(r"\$\{(\w+):\?", (ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8")):
        assert f"{var}=" in env_example, f"{var} is required by compose.yaml but missing from docker/env.example"


@pytest.mark.parametrize("unit", sorted((ROOT / "deploy" / "systemd").glob("*.service")), ids=lambda p: p.name)
def test_systemd_units_run_real_commands(unit: Path) -> None:
    text = unit.read_text(encoding="utf-8")
    exec_start = re.search(r"^ExecStart=(.+)$", text, re.M)
    assert exec_start
    words = shlex.split(exec_start.group(1))
    assert words[0].endswith("/deep-classiflie")
    assert_cli(words[1:])
    assert re.search(r"^User=(?!root$)\S+", text, re.M) and "KillSignal=SIGTERM" in text
    assert "EnvironmentFile=" in text and "DC_DB_URL=" not in text, "secrets stay out of unit files"


def test_grafana_dashboard_reads_metrics_the_service_exports() -> None:
    dash = json.loads((ROOT / "deploy" / "grafana" / "deep-classiflie.json").read_text(encoding="utf-8"))
    source = (ROOT / "deep_classiflie" / "serve" / "metrics.py").read_text(encoding="utf-8")
    exported = set(re.findall(r'(?:Counter|Histogram|Gauge)\(\s*"(\w+)"', source))
    used = {
        re.sub(r"_(total|bucket|sum|count)$", "", m)
        for p in dash["panels"]
        for t in p["targets"]
        for m in re.findall(r"\bdc_\w+", t["expr"])
    }
    assert used and used <= exported, sorted(used - exported)
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    assert scrape["scrape_configs"][0]["metrics_path"] == "/metrics"
