"""A real GrowthOS server on 127.0.0.1 for API and browser tests: uvicorn in a thread, serving a demo
workspace built once per test session, with one key of each scope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from growthos.config import Settings, load_settings
from growthos.server.background import BackgroundServer


@dataclass
class LiveServer:
    url: str
    settings: Settings
    keys: dict[str, str] = field(default_factory=dict)
    """scope -> secret: 'read', 'ingest', 'admin'."""
    app: Any = None
    """The served FastAPI app (same process), for tests that look inside the warehouse it writes."""

    def warehouse_rows(self, sql: str, params: list | None = None) -> list[dict]:
        """Rows of a query on the served warehouse, through a reader of the server's own (which sees every
        acknowledged event)."""
        with self.app.state.growthos.reader() as engine:
            return engine.query(sql, params or []).to_pylist()

    def auth(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}


def demo_workspace_settings(data_dir: Path) -> Settings:
    """Build the demo (commerce records and the recipe app's events) into data_dir and return its settings
    (explicit, so no environment leaks in)."""
    from growthos.pipeline import build_and_check, demo_settings, load_records
    from growthos.server.demo_events import send_demo_app_events
    from growthos.sources.demo import generate
    from growthos.workspace import Workspace

    base = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb")
    settings = demo_settings(base).model_copy(update={"app_db_url": base.app_db_url, "engine": "duckdb",
                                                      "scheduler_enabled": False})
    with Workspace(settings) as ws:
        load_records(ws, generate())
    send_demo_app_events(settings)
    with Workspace(settings) as ws:
        build_and_check(ws)
    return settings


@pytest.fixture(scope="session")
def demo_settings_session(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return demo_workspace_settings(tmp_path_factory.mktemp("demo-server"))


@pytest.fixture(scope="session")
def live_server(demo_settings_session: Settings) -> Iterator[LiveServer]:
    """The demo served on a free port of 127.0.0.1 for the whole test session."""
    from growthos.store import AppStore

    keys = {}
    with AppStore.from_settings(demo_settings_session) as store:
        for scope in ("read", "ingest", "admin"):
            _key, keys[scope] = store.create_api_key(f"test {scope}", scope)
    thread = BackgroundServer(demo_settings_session)
    url = thread.start()
    try:
        yield LiveServer(url, demo_settings_session, keys, app=thread.app)
    finally:
        thread.stop()


@contextmanager
def empty_server(data_dir: Path) -> Iterator[LiveServer]:
    """A server on a fresh data directory (nothing built, no events), with one key of each scope; no scheduler."""
    settings = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb",
                             scheduler_enabled=False)
    with serving(settings) as live:
        yield live


@contextmanager
def serving(settings: Settings) -> Iterator[LiveServer]:
    """The workspace of ``settings`` served on a free port of 127.0.0.1, with one new key of each scope."""
    from growthos.store import AppStore

    with AppStore.from_settings(settings) as store:
        keys = {scope: store.create_api_key(f"test {scope}", scope)[1] for scope in ("read", "ingest", "admin")}
    thread = BackgroundServer(settings)
    url = thread.start()
    try:
        yield LiveServer(url, settings, keys, app=thread.app)
    finally:
        thread.stop()
