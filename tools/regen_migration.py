"""Regenerate the initial Alembic migration from ``deep_classiflie_db/schema.py``.

Only while the project has no deployed stores: once a release ships, add new revisions instead.
Usage: ``.venv/bin/python tools/regen_migration.py``
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from alembic import command

from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.migrate import MIGRATIONS, alembic_config

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    target = MIGRATIONS / "versions" / "0001_initial_schema.py"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/empty.sqlite")
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    ruff = ROOT / ".venv" / "bin" / "ruff"
    subprocess.run([str(ruff), "format", "-q", str(target)], check=False)
    subprocess.run([str(ruff), "check", "--fix", "-q", "--unsafe-fixes", str(target)], check=False)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
