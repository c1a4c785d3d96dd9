"""The app database: operational state kept apart from the warehouse (job runs, checks, API keys, connections...).

SQLite file ``app.db`` in the data directory by default, PostgreSQL when GROWTHOS_APP_DB_URL says so;
SQLAlchemy Core with alembic migrations shipped in ``migrations/``. Use ``AppStore.open(url)`` or
``AppStore.from_settings(settings)``.
"""

from growthos.store.app_store import AppStore
from growthos.store.connections import Connection, ConnectionTest, Rotation
from growthos.store.records import (
    CHECK_STATUSES,
    FINAL_JOB_STATUSES,
    JOB_STATUSES,
    ApiKey,
    CheckOutcome,
    JobRun,
    Session,
)

__all__ = [
    "AppStore",
    "ApiKey",
    "CheckOutcome",
    "Connection",
    "ConnectionTest",
    "Rotation",
    "JobRun",
    "Session",
    "CHECK_STATUSES",
    "FINAL_JOB_STATUSES",
    "JOB_STATUSES",
]
