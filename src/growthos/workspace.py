"""A workspace: the settings of one data directory and its open warehouse and app database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from growthos.config import Settings
from growthos.warehouse.engine import Engine, open_engine

if TYPE_CHECKING:
    from growthos.store import AppStore


class Workspace:
    """Opens the warehouse and the app database on first use; close() releases both."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._created_at = datetime.now(UTC)

    @cached_property
    def engine(self) -> Engine:
        """The warehouse file (DuckDB): raw layer, collected events, and the marts the server serves. Holding
        it exclusively (DuckDB's file lock) proves that no other process is running a job on it, so the jobs
        still marked running from before this workspace was created (its own may have started already) are
        recorded as interrupted."""
        engine = open_engine(self.settings, "duckdb")
        if getattr(engine, "exclusive", False):
            self.store.fail_interrupted_jobs(self._created_at)
        return engine

    @cached_property
    def compute(self) -> Engine:
        """The engine of ``settings.engine``, which builds the models and answers the CLI's queries: the
        warehouse file itself for DuckDB, else (Spark) an engine over the lake."""
        if self.settings.engine == "duckdb":
            return self.engine
        return open_engine(self.settings)

    @cached_property
    def store(self) -> AppStore:
        from growthos.store import AppStore

        return AppStore.from_settings(self.settings)

    @property
    def last_full_day(self) -> date:
        return self.settings.today() - timedelta(days=1)

    def close(self) -> None:
        if "compute" in self.__dict__:
            compute = self.__dict__.pop("compute")
            if compute is not self.__dict__.get("engine"):
                compute.close()
        if "engine" in self.__dict__:
            self.engine.close()
            del self.__dict__["engine"]
        if "store" in self.__dict__:
            self.store.close()
            del self.__dict__["store"]

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
