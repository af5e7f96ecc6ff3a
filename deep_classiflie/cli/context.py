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
        """Engine without the migration check, creating a missing SQLite store (for ``db upgrade``, ``demo``)."""
        from deep_classiflie_db.engine import make_engine

        return make_engine(self.db_url)

    @cached_property
    def existing_engine(self) -> Engine:
        """Engine of a store that must already exist (read-only commands never create one), not checked further."""
        if "raw_engine" in self.__dict__:
            return self.raw_engine
        from deep_classiflie_db.engine import make_engine

        return make_engine(self.db_url, create=False)

    @cached_property
    def engine(self) -> Engine:
        """Engine of an existing store at the newest migration (else a StoreError says to upgrade)."""
        from deep_classiflie_db.migrate import require_current

        require_current(self.existing_engine)
        return self.existing_engine
