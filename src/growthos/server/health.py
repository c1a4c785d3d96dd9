"""The health report: is the warehouse readable, is the app database reachable, is the collector storing what
it acknowledges, when was the last build.

Answered from memory, never by a query on the request path: under ingest load the collector's loader keeps
DuckDB's threads busy, and a health check that queried the warehouse (after waiting for the loader to catch
up, as every reader does) took over a second at p95 (bench/load.py). Instead:

- the checks that need a query (the warehouse answers and is built; the app database answers; the last build)
  run at start, after every build, and in the background when a report finds them older than
  ``health_check_interval_s``: the request never waits for them, and each check says how old it is
  (``checked_s_ago``; after a long silence the first report shows the old result while a new check runs). A
  check that has not finished for ``max(30 s, 6 intervals)`` is reported as an error:
  a warehouse that stopped answering makes health fail, it does not make it hang;
- the collector's writer keeps its own state in memory (running, backlog, the last load and why the last load
  failed, while loads are retried): a failing load marks the warehouse and the collector as errors at once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from growthos import __version__
from growthos.core.errors import GrowthOSError

log = logging.getLogger("growthos.server")

_BUILD_FIELDS = ("id", "status", "started_at", "ended_at", "duration_s", "error")


def _message(exc: Exception) -> str:
    if isinstance(exc, GrowthOSError):
        return exc.message
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class HealthMonitor:
    """The checks behind /api/health for one server (``state``: its ServerState)."""

    def __init__(self, state, interval_s: float) -> None:
        self._state = state
        self.interval_s = interval_s
        self.stale_after_s = max(30.0, 6 * interval_s)
        """A background check running for longer than this is reported as an error (it does not finish)."""
        self._lock = threading.Lock()
        self._probe: dict[str, Any] | None = None  # the last checks that needed a query, with "at" (monotonic)
        self._probing_since: float | None = None  # when the background check running now started

    def refresh(self) -> None:
        """Run the checks that need a query now (server start, after a build; else in the background)."""
        state = self._state
        checks: dict[str, Any] = {}
        try:
            engine = state.workspace.engine.reader()  # no flush: health needs no acknowledged event
            try:
                built = engine.table_exists("fact_orders")
            finally:
                engine.close()
            checks["warehouse"] = {"status": "ok", "built": built}
        except Exception as exc:  # any failure is this check's answer (a stale check would hide it)
            checks["warehouse"] = {"status": "error", "error": _message(exc)}
        last_build = None
        try:
            store = state.workspace.store
            store.ping()
            checks["app_database"] = {"status": "ok", "backend": store.backend}
            job = store.last_job("build")
            if job is not None:
                last_build = {k: job.to_dict()[k] for k in _BUILD_FIELDS}
        except Exception as exc:
            checks["app_database"] = {"status": "error", "error": _message(exc)}
        with self._lock:
            self._probe = {"checks": checks, "last_build": last_build, "at": time.monotonic()}

    def _refresh_in_background(self) -> None:
        try:
            self.refresh()
        except Exception:  # reported as a stale check by the next reports
            log.exception("health check failed")
        finally:
            with self._lock:
                self._probing_since = None

    def report(self) -> dict[str, Any]:
        """The health report from what is known now; starts a background refresh when the checks are due."""
        now = time.monotonic()
        with self._lock:
            probe = self._probe
            probing_since = self._probing_since
            due = probing_since is None and (probe is None or now - probe["at"] >= self.interval_s)
            if due:
                self._probing_since = now
        if due:
            threading.Thread(target=self._refresh_in_background, name="growthos-health", daemon=True).start()
        checks: dict[str, Any] = {}
        if probe is None:
            for name in ("warehouse", "app_database"):
                checks[name] = {"status": "error", "error": "not checked yet (the server is starting)"}
        else:
            age = now - probe["at"]
            for name, check in probe["checks"].items():
                check = {**check, "checked_s_ago": round(age, 1)}
                if probing_since is not None and now - probing_since > self.stale_after_s:
                    check = {"status": "error", "checked_s_ago": round(age, 1),
                             "error": f"the check has not finished for {now - probing_since:.0f} s: not answering"}
                checks[name] = check
        checks["collector"] = self._collector(checks)
        ok = all(c["status"] == "ok" for c in checks.values())
        return {
            "status": "ok" if ok else "degraded",
            "version": __version__,
            "demo": self._state.settings.demo,
            "checks": checks,
            "last_build": probe["last_build"] if probe else None,
        }

    def _collector(self, checks: dict[str, Any]) -> dict[str, Any]:
        """The collector's writer, from its own state; a failing load is the warehouse's error too."""
        state = self._state
        writer = state.collector.health()
        check: dict[str, Any] = {
            "status": "ok", "queued_events": writer.queued_events, "queued_bytes": writer.queued_bytes,
            "requests_in_flight": state.ingest.in_flight,
            "last_load_s_ago": None if writer.last_load is None else round(max(time.time() - writer.last_load, 0), 1),
        }
        if not writer.running:
            check.update(status="error", error="the event writer is not running")
        elif writer.load_error is not None:
            error = f"loading acknowledged events into the warehouse fails (retried; they are safe in the journal): " \
                    f"{writer.load_error}"
            check.update(status="error", error=error)
            checks["warehouse"] = {**checks["warehouse"], "status": "error", "error": error}
        return check
