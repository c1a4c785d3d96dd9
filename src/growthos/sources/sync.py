"""Run a connection's sync through the connector registry: ``sync_connection(config, engine)``.

Connector packages register themselves on import; ``CONNECTOR_PACKAGES`` lists the ones to import.

Progress: every connector counts each stored page with ``SyncResult.count`` (after adding it to ``pages``).
Inside ``reporting(callback)``, each SyncResult created picks up ``callback`` and calls it from ``count``
with a ``SyncProgress`` (what was fetched and stored so far), so a caller can show a sync as it runs without
any connector taking a parameter for it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from growthos.core.errors import ConfigError
from growthos.sources.connectors import REGISTRY, ConnectionConfig, Connector
from growthos.warehouse.engine import Engine

CONNECTOR_PACKAGES: tuple[str, ...] = ("growthos.sources.shopify", "growthos.sources.google_ads",
                                       "growthos.sources.ga4", "growthos.sources.meta")
"""Modules whose import registers a connector in ``REGISTRY``."""

log = logging.getLogger("growthos.sources.sync")
log.addHandler(logging.NullHandler())


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """A running sync's counts after a stored page (what ``SyncResult.count`` reports)."""

    connection: str
    """The connection's name."""
    kind: str
    """The connector's registry name."""
    entity: str
    """The entity the page held (``order``)."""
    fetched: int
    """Records of ``entity`` received so far."""
    inserted: int
    """New record versions of ``entity`` stored so far."""
    pages: int
    """Pages read so far, every entity together."""
    fetched_total: int
    """Records received so far, every entity together."""
    inserted_total: int
    """New record versions stored so far, every entity together."""


ProgressCallback = Callable[[SyncProgress], None]
"""Called after every stored page; must be quick (it runs on the syncing thread, between requests)."""

_PROGRESS: ContextVar[ProgressCallback | None] = ContextVar("growthos_sync_progress", default=None)


@contextmanager
def reporting(progress: ProgressCallback | None) -> Iterator[None]:
    """Within the block, every SyncResult created reports its progress to ``progress`` (None: to nothing)."""
    token = _PROGRESS.set(progress)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


@dataclass
class SyncResult:
    connection: str
    """The connection's name."""
    kind: str
    """The connector's registry name."""
    full: bool = False
    """Whether saved cursors were ignored (a full re-read)."""
    fetched: dict[str, int] = field(default_factory=dict)
    """Records received per entity (``order``: 1200)."""
    inserted: dict[str, int] = field(default_factory=dict)
    """New record versions stored per entity (unchanged records are not stored again)."""
    pages: int = 0
    """Pages read."""
    requests: int = 0
    """HTTP requests sent, retries included."""
    retries: int = 0
    """Requests repeated after a retryable failure."""
    errors: int = 0
    """Failed requests (retried or not)."""
    waited: float = 0.0
    """Seconds spent waiting: backoff, Retry-After and throttling."""
    progress: ProgressCallback | None = field(default_factory=_PROGRESS.get, repr=False, compare=False)
    """Called from ``count`` with the counts so far; by default the one ``reporting`` set, if any."""

    def count(self, entity: str, fetched: int, inserted: int) -> None:
        """Add a stored page's counts (call after adding the page to ``pages``); reports them to ``progress``."""
        self.fetched[entity] = self.fetched.get(entity, 0) + fetched
        self.inserted[entity] = self.inserted.get(entity, 0) + inserted
        if self.progress is not None:
            self._report(self.progress, entity)

    def _report(self, progress: ProgressCallback, entity: str) -> None:
        update = SyncProgress(self.connection, self.kind, entity, self.fetched[entity], self.inserted[entity],
                              self.pages, sum(self.fetched.values()), sum(self.inserted.values()))
        try:
            progress(update)
        except Exception as exc:  # a display failing never fails the sync: stop reporting to it
            log.warning("sync progress reporting failed, turned off for %s: %s: %s", self.connection,
                        type(exc).__name__, exc)
            self.progress = None


def load_connectors() -> dict[str, Connector]:
    """Import every connector package so that each registers itself; returns the registry."""
    for module in CONNECTOR_PACKAGES:
        importlib.import_module(module)
    return REGISTRY


def sync_connection(config: ConnectionConfig, engine: Engine, *, full: bool = False,
                    progress: ProgressCallback | None = None) -> SyncResult:
    """Sync one connection into the raw layer with the connector its ``kind`` names.

    ``progress`` (if given) is called after every stored page (see ``reporting``); otherwise the callback
    of an enclosing ``reporting`` block, if any, is.
    """
    connectors = load_connectors()
    try:
        connector = connectors[config.kind]
    except KeyError:
        known = ", ".join(sorted(connectors))
        raise ConfigError(f"unknown connector {config.kind!r} (known: {known})", field="kind") from None
    if progress is None:
        return connector.sync(config, engine, full=full)
    with reporting(progress):
        return connector.sync(config, engine, full=full)
