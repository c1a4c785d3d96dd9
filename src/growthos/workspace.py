"""A workspace: the settings of one data directory and its open warehouse and app database."""

from __future__ import annotations

from datetime import date, timedelta
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

    @cached_property
    def engine(self) -> Engine:
        return open_engine(self.settings)

    @cached_property
    def store(self) -> AppStore:
        from growthos.store import AppStore

        return AppStore.from_settings(self.settings)

    @property
    def last_full_day(self) -> date:
        return self.settings.today() - timedelta(days=1)

    def close(self) -> None:
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
