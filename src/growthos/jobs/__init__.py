"""Jobs: syncs run as recorded job runs (``sync_job``) and the server's scheduler (``scheduler``).

A job run is a row of the app database (``AppStore.start_job`` / ``finish_job``) that the Jobs page, the
``growthos jobs`` command and ``GET /api/jobs`` show: its kind, parameters, rows per entity or table, stats
and, when it failed, the error.
"""

from growthos.jobs.scheduler import DailyAt, Every, ScheduledJob, Scheduler, server_schedules
from growthos.jobs.sync_job import (
    PendingSync,
    QueuedSync,
    SyncOutcome,
    SyncQueue,
    run_sync_job,
    select_connections,
    start_sync_job,
    sync_connections,
)

__all__ = [
    "DailyAt",
    "Every",
    "PendingSync",
    "QueuedSync",
    "ScheduledJob",
    "Scheduler",
    "SyncOutcome",
    "SyncQueue",
    "run_sync_job",
    "select_connections",
    "server_schedules",
    "start_sync_job",
    "sync_connections",
]
