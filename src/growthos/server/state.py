"""What the server process holds: the workspace (it owns the warehouse file), the writer threads,
and the event hub. Requests read through per-request warehouse readers.

Three writer threads share the warehouse: builds (marts, replaced in one transaction), the event collector
(its loader appends to ``events`` and ``identity_map``) and telemetry (``telemetry_*`` tables). They write
different tables, so DuckDB runs their transactions side by side; a long build never holds up ingestion."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

from growthos.core.errors import Conflict, GrowthOSError
from growthos.jobs.scheduler import Scheduler, server_schedules
from growthos.jobs.sync_job import QueuedSync, SyncQueue
from growthos.server.auth import WriteKeyCache
from growthos.server.events import EventHub
from growthos.server.health import HealthMonitor
from growthos.server.ingest_gate import IngestGate
from growthos.server.result_cache import ResultCache
from growthos.sources.collector import CollectorOptions, EventWriter
from growthos.sources.telemetry import TelemetryWriter
from growthos.sources.telemetry.writer import TelemetryOptions
from growthos.warehouse.engine import Engine
from growthos.workspace import Workspace

if TYPE_CHECKING:
    from growthos.analysis.anomalies import AnomalyNotifier

log = logging.getLogger("growthos.server")


class ServerState:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._closed = False
        self.events = EventHub()
        self.results = ResultCache()
        """Forecasts and anomalies of the current marts (emptied when a build finishes)."""
        self.write_keys = WriteKeyCache()
        """Collector write keys accepted lately (see server.auth)."""
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="growthos-writer")
        self._build_lock = threading.Lock()
        self._running_build: Future | None = None
        self._alerts = ThreadPoolExecutor(max_workers=1, thread_name_prefix="growthos-alerts")
        """Alert evaluations after builds, off the writer thread (notifications may retry for a while)."""
        self._anomalies: AnomalyNotifier | None = None
        """Tells dashboards about each anomaly once (created with the first build)."""
        settings = workspace.settings
        self.collector = EventWriter(workspace.engine, CollectorOptions(
            max_queue_events=settings.collector_max_queue_events,
            max_queue_bytes=settings.collector_max_queue_bytes,
            submit_timeout_s=settings.collector_submit_timeout_s,
            retry_after_s=settings.collector_retry_after_s,
            max_retry_after_s=max(30.0, settings.collector_retry_after_s),
        ), journal_dir=settings.data_dir / "collector-journal")
        """The one writer of collected events; started with the server (``start``)."""
        self.ingest = IngestGate(settings.collector_max_inflight_requests, settings.collector_retry_after_s)
        """Admission of the collector's routes (requests in flight, see server.ingest_gate)."""
        self.health = HealthMonitor(self, settings.health_check_interval_s)
        """What /api/health answers, from memory (see server.health)."""
        self.telemetry = TelemetryWriter(workspace.engine, TelemetryOptions(
            submit_timeout_s=settings.collector_submit_timeout_s))
        """The one writer of web vitals, AI calls, database queries and resource samples."""
        self.syncs = SyncQueue(self._writer, workspace, publish=self.events.publish, start_build=self.start_build)
        """Connector syncs, queued on the writer thread with the builds (``start_sync``)."""
        self.scheduler: Scheduler | None = None
        """Hourly syncs and the daily build, when ``scheduler_enabled`` (started with the server)."""
        self.loop_scheduler: Scheduler | None = None
        """Growth-loop system actions (growthos.jobs.loop_actions), beside ``scheduler`` when it is enabled."""

    @classmethod
    def open(cls, settings) -> ServerState:
        """The state of a server on the workspace of ``settings``, started: raises the GrowthOSError that stops
        it (a damaged or busy warehouse, an unreachable app database...) with nothing left open."""
        workspace = Workspace(settings)
        try:
            state = cls(workspace)
        except BaseException:
            workspace.close()
            raise
        try:
            state.start()
        except BaseException:
            state.close()
            raise
        return state

    def start(self) -> None:
        """Open and migrate the app database and start the event writer, before the first request."""
        self.workspace.store  # noqa: B018
        self.collector.start()
        self.telemetry.ensure_tables()
        self.telemetry.start()
        self.health.refresh()
        if self.settings.scheduler_enabled:
            self.scheduler = Scheduler(server_schedules(self.settings, sync=self.syncs.submit_scheduled,
                                                        build=self.start_build))
            self.scheduler.start()
            from growthos.jobs.loop_actions import loop_action_scheduler  # growth-loop webhooks, every minute

            self.loop_scheduler = loop_action_scheduler(self.workspace, self.reader)
            self.loop_scheduler.start()

    @property
    def settings(self):
        return self.workspace.settings

    @contextmanager
    def reader(self) -> Iterator[Engine]:
        """A warehouse handle for this request's thread that sees every event acknowledged before the call
        (it waits for the collector's loader to catch up: at once when it has, else one load, < 1 s)."""
        self.collector.flush(timeout=self.settings.collector_submit_timeout_s)
        engine = self.workspace.engine.reader()
        try:
            yield engine
        finally:
            engine.close()

    def start_build(self) -> Future:
        """Queue a build on the writer thread (one at a time); publishes build_finished when done."""
        from growthos.pipeline import build_and_check

        with self._build_lock:
            if self._running_build is not None and not self._running_build.done():
                raise Conflict("a build is already running")

            def run() -> dict:
                try:
                    result = build_and_check(self.workspace)
                except GrowthOSError as exc:
                    self.health.refresh()
                    self.events.publish("build_failed", {"error": exc.message})
                    self._alerts.submit(self.evaluate_alerts)  # a failed build is an alert of its own
                    raise
                self.results.invalidate()
                self.health.refresh()
                summary = {"job_id": result.build.job_id, "duration_s": round(result.build.duration_s, 3),
                           "failed_checks": [c.name for c in result.checks if c.status == "fail"]}
                self.events.publish("build_finished", summary)
                self._notify_anomalies()
                self._alerts.submit(self.evaluate_alerts)
                self._alerts.submit(self.take_due_snapshots)
                return summary

            self._running_build = self._writer.submit(run)
            return self._running_build

    def evaluate_alerts(self) -> None:
        """Evaluate the alert rules on a fresh reader, pushing alert events to dashboards; logs instead of raising."""
        from growthos.alerts.evaluate import evaluate_alerts

        try:
            with self.reader() as engine:
                evaluate_alerts(self.workspace, engine=engine, publish=self.events.publish)
        except Exception:
            log.exception("alert evaluation after a build failed")

    def take_due_snapshots(self) -> None:
        """Snapshots of the periods completed since the last ones (after a build); logs instead of raising."""
        from growthos.analysis.snapshot_store import take_due_snapshots

        try:
            with self.reader() as engine:
                taken = take_due_snapshots(engine, self.settings, self.workspace.store)
            for snapshot in taken:
                self.events.publish("snapshot_taken", {"id": snapshot.id, "period_kind": snapshot.period_kind,
                                                       "period_end": snapshot.period_end.isoformat()})
        except Exception:
            log.exception("snapshots after the build failed")

    def _notify_anomalies(self) -> None:
        """Push the anomalies of the last days that no dashboard has been told about (event anomaly_detected)."""
        from growthos.analysis.anomalies import AnomalyNotifier

        try:
            if self._anomalies is None:
                self._anomalies = AnomalyNotifier(self.events.publish)
            engine = self.workspace.engine.reader()
            try:
                self._anomalies.after_build(engine, self.workspace.last_full_day)
            finally:
                engine.close()
        except Exception:  # never fail a build over a notification
            log.exception("anomaly detection after the build failed")

    def start_sync(self, connection: str | None = None, *, full: bool = False, build_after: bool = False) -> QueuedSync:
        """Queue the sync of a connection (or of every connection of a connector kind, or of all) on the writer
        thread, so a sync and a build never write at once; each is a job run, recorded as running from now."""
        return self.syncs.submit(connection, full=full, build_after=build_after)

    def close(self) -> None:
        """Stop the threads and release the warehouse (again: nothing happens)."""
        if self._closed:
            return
        self._closed = True
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.loop_scheduler is not None:
            self.loop_scheduler.stop()
        self.syncs.close()
        self.collector.close()
        self.telemetry.close()
        self._writer.shutdown(wait=True)
        self._alerts.shutdown(wait=True)
        self.workspace.close()
