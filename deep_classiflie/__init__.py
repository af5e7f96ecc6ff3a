"""Deep Classiflie: classify a public figure's statements as likely falsehoods, end to end."""

from pathlib import Path

# The one place the version is written is the VERSION file beside this one: pyproject.toml (dynamic version),
# `deep-classiflie --version` and the service read it.
__version__ = (Path(__file__).with_name("VERSION")).read_text(encoding="utf-8").strip()
