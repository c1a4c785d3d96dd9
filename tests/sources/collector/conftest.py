"""Fixtures of the collector tests: a real DuckDB file per test, a started writer, event factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from growthos.sources.collector import CollectorOptions, EventWriter
from growthos.warehouse.duckdb_engine import DuckDBEngine


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(tmp_path / "warehouse.duckdb", memory_limit="512MB")
    yield engine
    engine.close()


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    """The collector journal beside the test's warehouse."""
    return tmp_path / "collector-journal"


@pytest.fixture
def start_writer(warehouse: DuckDBEngine, journal_dir: Path) -> Iterator[Callable[..., EventWriter]]:
    """Start an EventWriter on the test's warehouse (options as keyword arguments); closed afterwards."""
    writers: list[EventWriter] = []

    def start(**options) -> EventWriter:
        writer = EventWriter(warehouse, CollectorOptions(**options), journal_dir=journal_dir).start()
        writers.append(writer)
        return writer

    yield start
    for writer in writers:
        writer.close()


@pytest.fixture
def reader(warehouse: DuckDBEngine) -> Iterator[DuckDBEngine]:
    handle = warehouse.reader()
    yield handle
    handle.close()

