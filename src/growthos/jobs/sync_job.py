"""Syncs as job runs: each connection's sync is one ``sync`` job run with what it fetched, stored and cost.

``sync_connections`` runs syncs in this process (the CLI, while no server holds the warehouse); ``SyncQueue``
queues them on the server's one warehouse writer (the thread builds run on, so a sync and a build never
write at once). A job run records:

- ``params``: ``{"connection": name, "full": bool}``;
- ``rows``: new record versions stored per entity (``{"order": 230, "customer": 120}``), as a build records
  rows per table;
- ``stats``: ``connector`` (its kind), ``fetched`` (records received per entity, unchanged ones included),
  ``pages``, ``requests``, ``retries``, ``errors``, ``waited`` (seconds of backoff and throttling) and
  ``duration_s``;
- ``error`` when it failed: the connector's message (the API's own words) with every secret of the connection
  masked. One connection failing does not stop the others.

While a sync runs, ``progress`` (``run_sync_job``; ``on_progress`` of ``sync_connections``) is called after every
stored page with the counts so far (a ``SyncProgress``: the same fetched / inserted / pages the job run records
at the end), e.g. for the CLI's progress bars.

Secrets: a ``ConnectionConfig`` holds decrypted secrets; it is never logged, put in a message or kept beyond
the sync.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from growthos.core.errors import Conflict, GrowthOSError, NotFound
from growthos.sources.connectors import ConnectionConfig
from growthos.sources.sync import ProgressCallback, SyncResult, reporting, sync_connection
from growthos.store.connections import Connection, mask
from growthos.warehouse.engine import Engine

if TYPE_CHECKING:
    from growthos.store import AppStore
    from growthos.workspace import Workspace

log = logging.getLogger("growthos.jobs.sync")
log.addHandler(logging.NullHandler())  # failures are reported to the caller; logged only where logging is set up

JOB_KIND = "sync"
"""The job runs' kind."""
MAX_ERROR_LENGTH = 2000
"""A failed job's error is cut to this many characters."""
CANCELLED = "cancelled: the server shut down before this sync started"

Runner = Callable[..., SyncResult]
"""``runner(config, engine, full=...)``: what runs one connection's sync (``sync_connection``)."""


@dataclass(frozen=True)
class PendingSync:
    """A sync whose job run is started (status running) and which has not run yet."""

    job_id: int
    connection: str
    full: bool = False


@dataclass
class SyncOutcome:
    """How one connection's sync ended, as its job run records it."""

    job_id: int
    connection: str
    full: bool
    status: str
    """``succeeded`` or ``failed``."""
    duration_s: float
    result: SyncResult | None = None
    """What the connector reported; None when it failed."""
    error: str | None = None
    """The failure's message, secrets masked."""
    kind: str | None = None
    """The connector's kind, when the connection could be read."""

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    @property
    def fetched(self) -> dict[str, int]:
        return dict(self.result.fetched) if self.result else {}

    @property
    def inserted(self) -> dict[str, int]:
        return dict(self.result.inserted) if self.result else {}

    @property
    def inserted_total(self) -> int:
        return sum(self.inserted.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for ``growthos sync --json`` and the server's events."""
        r = self.result
        return {
            "job_id": self.job_id,
            "connection": self.connection,
            "kind": self.kind,
            "full": self.full,
            "status": self.status,
            "fetched": self.fetched,
            "inserted": self.inserted,
            "pages": r.pages if r else 0,
            "requests": r.requests if r else 0,
            "retries": r.retries if r else 0,
            "errors": r.errors if r else 0,
            "waited": round(r.waited, 3) if r else 0.0,
            "duration_s": round(self.duration_s, 3),
            "error": self.error,
        }


def select_connections(store: AppStore, source: str | None = None, *, field: str = "source") -> list[Connection]:
    """Every connection (``source`` None), the one named ``source``, or else every one of connector ``source``.

    Raises NotFound (naming ``field``) when ``source`` names neither.
    """
    everything = store.list_connections()
    if source is None:
        return everything
    named = [c for c in everything if c.name == source]
    if named:
        return named
    of_kind = [c for c in everything if c.kind == source]
    if of_kind:
        return of_kind
    known = ", ".join(c.name for c in everything) or "none yet"
    raise NotFound(f"no connection named {source!r} and no connection of a connector {source!r} "
                   f"(connections: {known})", field=field)


def start_sync_job(store: AppStore, connection: str, *, full: bool = False) -> PendingSync:
    """Record the sync of ``connection`` as a running job run; returns it (run it with ``run_sync_job``)."""
    job_id = store.start_job(JOB_KIND, {"connection": connection, "full": full})
    return PendingSync(job_id, connection, full)


def run_sync_job(store: AppStore, engine: Engine, pending: PendingSync, *, runner: Runner = sync_connection,
                 timer: Callable[[], float] = time.monotonic,
                 progress: ProgressCallback | None = None) -> SyncOutcome:
    """Run a started sync and finish its job run; a failure is an outcome (recorded), not an exception.

    ``progress`` is called after every page the connector stores (see ``growthos.sources.sync.reporting``).
    KeyboardInterrupt and SystemExit still propagate, after the job run is recorded as failed.
    """
    started = timer()
    config: ConnectionConfig | None = None
    try:
        config = store.connection_config(pending.connection)
        with reporting(progress):
            result = runner(config, engine, full=pending.full)
    except BaseException as exc:
        message = _error_message(exc, config)
        kind = config.kind if config is not None else None
        outcome = SyncOutcome(pending.job_id, pending.connection, pending.full, "failed", timer() - started,
                              error=message, kind=kind)
        _finish_failed(store, outcome)
        log.warning("sync of connection %s failed (job %d): %s", pending.connection, pending.job_id, message)
        if not isinstance(exc, Exception):
            raise
        return outcome
    finally:
        config = None  # drop the decrypted secrets as soon as the sync is over
    outcome = SyncOutcome(pending.job_id, pending.connection, pending.full, "succeeded", timer() - started,
                          result=result, kind=result.kind)
    try:
        store.finish_job(pending.job_id, "succeeded", rows=dict(result.inserted), stats=_stats(outcome))
    except GrowthOSError as exc:  # e.g. a connector reporting a count that is not a count
        outcome.status, outcome.error = "failed", exc.message
        _finish_failed(store, outcome)
    return outcome


def sync_connections(
    store: AppStore,
    engine: Engine,
    names: Iterable[str],
    *,
    full: bool = False,
    runner: Runner = sync_connection,
    on_start: Callable[[PendingSync], None] | None = None,
    on_finish: Callable[[SyncOutcome], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[SyncOutcome]:
    """Sync each named connection in turn, each as its own job run; a failure does not stop the others.

    ``on_progress`` gets every connection's counts after each stored page (``SyncProgress.connection`` says
    whose)."""
    outcomes = []
    for name in names:
        pending = start_sync_job(store, name, full=full)
        if on_start:
            on_start(pending)
        outcome = run_sync_job(store, engine, pending, runner=runner, progress=on_progress)
        if on_finish:
            on_finish(outcome)
        outcomes.append(outcome)
    return outcomes


@dataclass
class QueuedSync:
    """Syncs queued on the server's writer: their job runs (already recorded as running) and their future."""

    jobs: list[PendingSync]
    future: Future = field(repr=False)
    """Resolves to the list of SyncOutcome once every connection is done."""

    @property
    def job_ids(self) -> list[int]:
        return [p.job_id for p in self.jobs]

    def done(self) -> bool:
        return self.future.done()


class SyncQueue:
    """Syncs queued on the server's one warehouse writer (a single-thread executor shared with builds).

    A connection is never queued twice: while its sync is queued or running, asking again is a Conflict.
    After a sync that stored anything new, ``build_after`` queues a build behind it (``start_build``).
    """

    def __init__(
        self,
        writer: Executor,
        workspace: Workspace,
        *,
        publish: Callable[[str, dict[str, Any]], None] | None = None,
        start_build: Callable[[], object] | None = None,
        runner: Runner = sync_connection,
    ) -> None:
        self._writer = writer
        self._workspace = workspace
        self._publish = publish
        self._start_build = start_build
        self._runner = runner
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._closed = False

    @property
    def in_flight(self) -> set[str]:
        """Connections whose sync is queued or running."""
        with self._lock:
            return set(self._in_flight)

    def submit(self, source: str | None = None, *, full: bool = False, build_after: bool = False) -> QueuedSync:
        """Queue the sync of one connection (or of every connection of a connector kind), or of all.

        Raises NotFound (no such connection or kind; no connection at all) or Conflict (already queued or
        running; the server is shutting down). Connections already in flight are left out of "all".
        """
        store = self._workspace.store
        with self._lock:
            if self._closed:
                raise Conflict("the server is shutting down; no sync can start")
            chosen = select_connections(store, source, field="connection")
            if not chosen:
                raise NotFound("there is no connection to sync: add one first", field="connection")
            names = [c.name for c in chosen if c.name not in self._in_flight]
            if not names:
                which = "every connection" if source is None else ", ".join(c.name for c in chosen)
                raise Conflict(f"a sync of {which} is already queued or running", field="connection")
            pending = [start_sync_job(store, name, full=full) for name in names]
            try:
                future = self._writer.submit(self._run, pending, build_after)
            except RuntimeError:  # the executor is shut down
                for p in pending:
                    _finish_failed(store, SyncOutcome(p.job_id, p.connection, p.full, "failed", 0.0, error=CANCELLED))
                raise Conflict("the server is shutting down; no sync can start") from None
            self._in_flight.update(names)
        return QueuedSync(pending, future)

    def submit_scheduled(self) -> Future | None:
        """The scheduler's sync: every connection not already in flight, then a build if anything new was stored;
        None when there is no connection (nothing is recorded)."""
        try:
            return self.submit(None, build_after=True).future
        except NotFound:
            return None

    def close(self) -> None:
        """Refuse new syncs; queued ones that have not started finish as failed (cancelled) when reached."""
        with self._lock:
            self._closed = True

    def _run(self, pending: list[PendingSync], build_after: bool) -> list[SyncOutcome]:
        store, outcomes = self._workspace.store, []
        for p in pending:
            try:
                if self._closed:
                    outcome = SyncOutcome(p.job_id, p.connection, p.full, "failed", 0.0, error=CANCELLED)
                    _finish_failed(store, outcome)
                else:
                    outcome = run_sync_job(store, self._workspace.engine, p, runner=self._runner)
            finally:
                with self._lock:
                    self._in_flight.discard(p.connection)
            outcomes.append(outcome)
            if self._publish:
                self._publish("sync_finished", {k: v for k, v in outcome.to_dict().items()
                                                if k in ("job_id", "connection", "status", "inserted", "error")})
        if build_after and not self._closed and self._start_build and any(o.inserted_total for o in outcomes):
            try:
                self._start_build()  # queued behind this task on the same writer thread
            except Conflict:
                log.info("a build is already queued; it will include the records this sync stored")
        return outcomes


def _stats(outcome: SyncOutcome) -> dict[str, Any]:
    data = outcome.to_dict()
    stats = {"connector": outcome.kind, "fetched": outcome.fetched}
    stats.update({k: data[k] for k in ("pages", "requests", "retries", "errors", "waited", "duration_s")})
    return stats


def _finish_failed(store: AppStore, outcome: SyncOutcome) -> None:
    stats = {"connector": outcome.kind, "duration_s": round(outcome.duration_s, 3)}
    try:
        store.finish_job(outcome.job_id, "failed", error=outcome.error or "failed", stats=stats)
    except Exception as exc:  # the app database is down: the job stays "running"; say so, never the secrets
        log.error("could not record the failure of sync job %d: %s", outcome.job_id, type(exc).__name__)


def _error_message(exc: BaseException, config: ConnectionConfig | None) -> str:
    if isinstance(exc, GrowthOSError):
        message = exc.message
    elif isinstance(exc, KeyboardInterrupt):
        message = "interrupted"
    else:  # a connector bug or a network error: its type says more than an empty message
        message = f"{type(exc).__name__}: {exc}"
    if config is not None:
        for value in sorted(config.secrets.values(), key=len, reverse=True):
            if isinstance(value, str) and len(value) >= 4:
                message = message.replace(value, mask(value))
    return (message or type(exc).__name__)[:MAX_ERROR_LENGTH]
