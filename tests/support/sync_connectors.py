"""A tiny connector that syncs, for tests of sync job runs, the scheduler's syncs and POST /api/syncs;
registered only while a test runs (``registered_syncing``).

Kind ``testsync``: ``account`` (plain) and ``token`` (secret). ``sync`` stores ``records[entity]`` raw records
per entity (source ``testsync``; ids ``<connection>-<entity>-<n>``, payloads carrying ``version``, so a
second sync stores nothing new unless ``version`` changes) and reports made-up request stats per entity
(``REQUESTS_PER_ENTITY`` requests, of which 1 retry after 1 error, ``WAITED_PER_ENTITY`` seconds waited).
A connection named in ``fail`` raises a ConnectorError whose message is the template with ``{token}``
replaced by the connection's token (as careless APIs quote credentials back). ``gate``, when set, makes
every sync wait for it (to hold a sync "running").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from growthos.sources.base import RawRecord
from growthos.sources.connectors import REGISTRY, ConfigField, ConnectionConfig
from growthos.sources.http.errors import ConnectorError
from growthos.sources.sync import SyncResult
from growthos.warehouse.engine import Engine
from growthos.warehouse.raw import ingest

KIND = "testsync"
TOKEN = "tsk_live_5e4d3c2b1a0987"
"""A token long enough to be masked as ``••••0987``."""
REQUESTS_PER_ENTITY = 3
WAITED_PER_ENTITY = 0.25


@dataclass
class SyncingConnector:
    name: str = KIND
    label: str = "Test sync API"
    fields: tuple[ConfigField, ...] = (
        ConfigField("account", "Account"),
        ConfigField("token", "API token", secret=True),
    )
    records: dict[str, int] = field(default_factory=lambda: {"order": 3, "customer": 2})
    """Records stored per entity by each sync."""
    version: int = 1
    """Part of every payload: bump it and the next sync stores new versions of every record."""
    fail: dict[str, str] = field(default_factory=dict)
    """Connection name -> error message template (``{token}`` is replaced by the connection's token)."""
    gate: threading.Event | None = None
    """When set, each sync waits (up to 30 s) for this event before doing anything."""
    started: threading.Event = field(default_factory=threading.Event)
    """Set when a sync starts."""
    calls: list[tuple[str, bool, str]] = field(default_factory=list)
    """(connection, full, thread name) of every sync."""

    def test(self, config: ConnectionConfig) -> str:
        return f"account {config.settings['account']}"

    def sync(self, config: ConnectionConfig, engine: Engine, *, full: bool = False) -> SyncResult:
        self.calls.append((config.name, full, threading.current_thread().name))
        self.started.set()
        if self.gate is not None:
            self.gate.wait(30)
        if config.name in self.fail:
            raise ConnectorError(self.fail[config.name].format(token=config.secrets["token"]), http_status=401)
        result = SyncResult(config.name, KIND, full=full)
        for entity, count in self.records.items():
            records = [RawRecord(KIND, entity, f"{config.name}-{entity}-{n}",
                                 {"id": n, "version": self.version, "connection": config.name})
                       for n in range(1, count + 1)]
            stored = ingest(engine, records)
            result.count(entity, stored.received, stored.inserted)
            result.pages += 1
            result.requests += REQUESTS_PER_ENTITY
            result.retries += 1
            result.errors += 1
            result.waited += WAITED_PER_ENTITY
        return result


@contextmanager
def registered_syncing(**options) -> Iterator[SyncingConnector]:
    """A new ``SyncingConnector(**options)`` registered as ``testsync`` until the block ends."""
    from growthos.store.connections import connectors

    connectors()  # import the shipped connectors first, so they do not register after ours is removed
    connector = SyncingConnector(**options)
    REGISTRY[KIND] = connector
    try:
        yield connector
    finally:
        REGISTRY.pop(KIND, None)
