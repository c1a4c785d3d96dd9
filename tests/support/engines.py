"""Every warehouse engine the parametrised `engine` fixture runs tests on (name -> factory)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from growthos.warehouse.duckdb_engine import DuckDBEngine
from growthos.warehouse.engine import Engine

ENGINE_FACTORIES: dict[str, Callable[[Path], Engine]] = {
    "duckdb": lambda tmp: DuckDBEngine(tmp / "warehouse.duckdb", memory_limit="1GB"),
}
