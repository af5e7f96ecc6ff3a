"""Autogenerate the next Alembic revision from the difference between ``schema.py`` and the migrations.

Usage: ``.venv/bin/python tools/new_migration.py "what changes"`` → ``migrations/versions/NNNN_what_changes.py``.
It migrates a scratch SQLite store to head, compares it with ``deep_classiflie_db/schema.py`` and writes
what differs. Read the result before committing: autogenerate misses renames and MariaDB specifics
(an index a foreign key needs must be created before the one it replaces is dropped).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from deep_classiflie_db import migrate
from deep_classiflie_db.engine import make_engine
from deep_classiflie_db.migrate import alembic_config

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].strip():
        sys.stderr.write('usage: tools/new_migration.py "what changes"\n')
        raise SystemExit(2)
    message = sys.argv[1].strip()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/scratch.sqlite")
        migrate.upgrade(engine)
        cfg = alembic_config(engine)
        head = ScriptDirectory.from_config(cfg).get_current_head() or "0000"
        rev_id = f"{int(head) + 1:04d}"
        slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40]
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            script = command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
    written = Path(script.path) if script is not None and not isinstance(script, list) else None
    if written is None:
        raise SystemExit("alembic wrote no revision")
    target = written.with_name(f"{rev_id}_{slug}.py")
    written.rename(target)
    ruff = ROOT / ".venv" / "bin" / "ruff"
    subprocess.run([str(ruff), "format", "-q", str(target)], check=False)
    subprocess.run([str(ruff), "check", "--fix", "-q", "--unsafe-fixes", str(target)], check=False)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
