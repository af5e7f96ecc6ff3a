"""What every command gets: the validated config, the settings, and a lazily opened store."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.core.settings import Settings, resolve_db_url


@dataclass
class Context:
    """Shared by all commands. The engine is created on first use and checked to be migrated."""

    config: Config
    settings: Settings = field(default_factory=Settings)

    @property
    def db_url(self) -> str:
        return resolve_db_url(self.settings, self.config.paths.data_dir)

    @cached_property
    def raw_engine(self) -> Engine:
        """Engine without the migration check (for ``db upgrade``)."""
        from deep_classiflie_db.engine import make_engine

        return make_engine(self.db_url)

    @cached_property
    def engine(self) -> Engine:
        """Engine of a store that is at the newest migration (else a StoreError says to upgrade)."""
        from deep_classiflie_db.migrate import require_current

        require_current(self.raw_engine)
        return self.raw_engine
