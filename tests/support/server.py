"""A real GrowthOS server on 127.0.0.1 for API and browser tests: uvicorn in a thread, serving a demo
workspace built once per test session, with one key of each scope."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from growthos.config import Settings, load_settings


@dataclass
class LiveServer:
    url: str
    settings: Settings
    keys: dict[str, str] = field(default_factory=dict)
    """scope -> secret: 'read', 'ingest', 'admin'."""
    app: Any = None
    """The served FastAPI app (same process), for tests that look inside the warehouse it writes."""

    def warehouse_rows(self, sql: str, params: list | None = None) -> list[dict]:
        """Rows of a query on the served warehouse, through a reader of the server's own engine."""
        engine = self.app.state.growthos.workspace.engine.reader()
        try:
            return engine.query(sql, params or []).to_pylist()
        finally:
            engine.close()

    def auth(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}


def demo_workspace_settings(data_dir: Path) -> Settings:
    """Build the demo into data_dir and return its settings (explicit, so no environment leaks in)."""
    from growthos.pipeline import build_and_check, demo_settings, load_records
    from growthos.sources.demo import generate
    from growthos.workspace import Workspace

    base = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb")
    settings = demo_settings(base).model_copy(update={"app_db_url": base.app_db_url, "engine": "duckdb"})
    with Workspace(settings) as ws:
        load_records(ws, generate())
        build_and_check(ws)
    return settings


class _ServerThread:
    def __init__(self, settings: Settings) -> None:
        import uvicorn

        from growthos.server.app import create_app

        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning",
                                access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="growthos-test-server", daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


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
    thread = _ServerThread(demo_settings_session)
    url = thread.start()
    try:
        yield LiveServer(url, demo_settings_session, keys)
    finally:
        thread.stop()


@contextmanager
def empty_server(data_dir: Path) -> Iterator[LiveServer]:
    """A server on a fresh data directory (nothing built, no events), with one key of each scope."""
    from growthos.store import AppStore

    settings = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb")
    with AppStore.from_settings(settings) as store:
        keys = {scope: store.create_api_key(f"test {scope}", scope)[1] for scope in ("read", "ingest", "admin")}
    thread = _ServerThread(settings)
    url = thread.start()
    try:
        yield LiveServer(url, settings, keys, app=thread.server.config.app)
    finally:
        thread.stop()
