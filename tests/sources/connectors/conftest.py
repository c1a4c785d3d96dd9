"""Fixtures of the connector tests: a DuckDB warehouse per test and a manual clock shared by a fake API
and the client's (injected) sleep, so throttling waits are exact and cost no real time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.shopify import ManualClock

from growthos.warehouse.duckdb_engine import DuckDBEngine


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(tmp_path / "warehouse.duckdb", memory_limit="512MB")
    yield engine
    engine.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
