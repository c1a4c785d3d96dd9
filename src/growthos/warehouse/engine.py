"""The warehouse engine interface and the registry of adapters."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from growthos.core.errors import ConfigError

if TYPE_CHECKING:
    from growthos.config import Settings


class Engine(Protocol):
    """What every warehouse engine adapter offers; SQL is written in DuckDB's dialect."""

    name: str

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        """Run a statement that returns nothing."""

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    def append(self, table: str, data: pa.Table) -> int:
        """Append Arrow rows to an existing table; returns the number of rows appended."""

    def reader(self) -> Engine:
        """A handle for one thread's reads, sharing this engine's database (close it after use)."""

    def register(self, name: str, data: pa.Table) -> None:
        """Expose an Arrow table under a name for the following statements."""

    def unregister(self, name: str) -> None:
        """Forget a registered Arrow table."""

    def transaction(self) -> AbstractContextManager[None]:
        """All statements inside commit together or not at all."""

    def table_exists(self, table: str) -> bool:
        """Whether a table or view of that name exists."""

    def close(self) -> None:
        """Release the connection."""

    def before_build(self, warehouse: Engine) -> None:
        """Make what the DuckDB file ``warehouse`` stored visible to this engine (Spark: export to the lake)."""

    def after_build(self, warehouse: Engine) -> None:
        """Make this engine's new marts what ``warehouse`` serves (Spark: DuckDB views over the lake)."""


EngineFactory = Callable[["Settings"], Engine]
ENGINES: dict[str, EngineFactory] = {}


def register_engine(name: str) -> Callable[[EngineFactory], EngineFactory]:
    def wrap(factory: EngineFactory) -> EngineFactory:
        ENGINES[name] = factory
        return factory

    return wrap


def open_engine(settings: Settings, name: str | None = None) -> Engine:
    """The engine named ``name``, by default ``settings.engine``."""
    import growthos.warehouse.duckdb_engine  # noqa: F401  (registers "duckdb")
    import growthos.warehouse.spark_engine  # noqa: F401  (registers "spark"; pyspark is imported when opened)

    try:
        factory = ENGINES[name or settings.engine]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise ConfigError(f"unknown engine {name or settings.engine!r} (known: {known})", field="engine") from None
    return factory(settings)


def rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    """Rows of an Arrow table as dicts."""
    return iter(table.to_pylist())
