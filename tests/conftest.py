"""Shared fixtures. Warehouse tests take `engine`, parametrised over every engine adapter, so the same
assertions run on each; `build_from` loads records into it and builds the models."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

import pytest
from support.engines import ENGINE_FACTORIES

from growthos.config import Settings, load_settings
from growthos.sources.base import RawRecord
from growthos.warehouse.build import BuildResult, run_models
from growthos.warehouse.engine import Engine
from growthos.warehouse.raw import ingest

# postgres_server, postgres_url, fresh_postgres_url, app_db_url, app_store; live_server, demo_settings_session
pytest_plugins = ["support.fixtures", "support.server", "support.spark"]



@pytest.fixture(params=sorted(ENGINE_FACTORIES))
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    eng = ENGINE_FACTORIES[request.param](tmp_path)
    yield eng
    eng.close()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a throw-away data directory; keyword arguments override fields."""

    def make(**overrides) -> Settings:
        overrides.setdefault("data_dir", tmp_path / "data")
        overrides.setdefault("as_of", date(2026, 2, 10))
        return load_settings(**overrides)

    return make


@pytest.fixture
def build_from(engine: Engine, make_settings) -> Callable[..., BuildResult]:
    """Ingest records into `engine` and build every model; returns the build result."""

    def run(records: Iterable[RawRecord], settings: Settings | None = None) -> BuildResult:
        ingest(engine, records)
        return run_models(engine, settings or make_settings())

    return run


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads or writes a real user's data directory or settings."""
    for var in ("GROWTHOS_DATA_DIR", "GROWTHOS_APP_DB_URL", "GROWTHOS_ENGINE", "GROWTHOS_TIMEZONE",
                "GROWTHOS_CURRENCY", "GROWTHOS_AS_OF"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GROWTHOS_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("GROWTHOS_SCHEDULER_ENABLED", "false")  # servers in tests schedule nothing unless asked
