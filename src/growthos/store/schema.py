"""Table definitions of the app database, used by queries (SQLAlchemy Core).

The tables are created and changed only by migrations (migrations/versions/); a new table or column
goes into both a new revision and here, and tests/store/test_store_migrations.py checks they agree.
Constraint names follow NAMING_CONVENTION so later revisions can refer to them on both backends.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from growthos.security.keys import SCOPES
from growthos.store.records import CHECK_STATUSES, JOB_STATUSES
from growthos.store.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("params", JSON, nullable=False),
    Column("rows", JSON, nullable=False),
    Column("stats", JSON, nullable=False),
    Column("error", Text, nullable=True),
    CheckConstraint(_in("status", JOB_STATUSES), name="status"),
    Index(None, "kind", "started_at"),
    Index(None, "started_at"),
    sqlite_autoincrement=True,  # never reuse a job id, even after the newest row is deleted
)

check_results = Table(
    "check_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, ForeignKey("job_runs.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(128), nullable=False),
    Column("status", String(8), nullable=False),
    Column("observed", Double, nullable=True),
    Column("threshold", Double, nullable=True),
    Column("detail", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("checked_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("status", CHECK_STATUSES), name="status"),
    UniqueConstraint("job_id", "position"),
    sqlite_autoincrement=True,
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("secret_hash", String(64), nullable=False),  # SHA-256 hex of the secret; the secret is never stored
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    CheckConstraint(_in("scope", SCOPES), name="scope"),
    UniqueConstraint("secret_hash"),
    sqlite_autoincrement=True,
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False),  # SHA-256 hex of the token; the token is never stored
    Column("key_id", Integer, ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("scope", SCOPES), name="scope"),
    UniqueConstraint("token_hash"),
    Index(None, "key_id"),
    Index(None, "expires_at"),
    sqlite_autoincrement=True,
)

connections = Table(
    "connections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("secrets", JSON, nullable=False),  # field -> AES-256-GCM ciphertext (growthos.security.crypto); never plain
    Column("api_base_url", String(2048), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("last_test_at", UTCDateTime(), nullable=True),
    Column("last_test_ok", Boolean, nullable=True),
    Column("last_test_message", Text, nullable=True),
    UniqueConstraint("name"),
    sqlite_autoincrement=True,
)

# Alerts (growthos.store.alerts; the allowed values are SEVERITIES, ALERT_STATUSES and DELIVERY_STATUSES there).
alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("metric", String(64), nullable=True),
    Column("params", JSON, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("cooldown_s", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("severity", ("warning", "critical")), name="severity"),
    UniqueConstraint("name"),
    sqlite_autoincrement=True,
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("dedup_key", String(255), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("recommendation", Text, nullable=False),
    Column("observed", Double, nullable=True),
    Column("baseline", Double, nullable=True),
    Column("values", JSON, nullable=False),
    Column("fired_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("acknowledged_at", UTCDateTime(), nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("resolved_by", String(16), nullable=True),
    CheckConstraint(_in("severity", ("warning", "critical")), name="severity"),
    CheckConstraint(_in("status", ("open", "acknowledged", "resolved")), name="status"),
    Index(None, "dedup_key", "status"),
    Index(None, "fired_at"),
    sqlite_autoincrement=True,
)

alert_notifications = Table(
    "alert_notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("channel_kind", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("attempted_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("status", ("delivered", "failed")), name="status"),
    Index(None, "alert_id"),
    sqlite_autoincrement=True,
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("period_kind", String(16), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("taken_at", UTCDateTime(), nullable=False),
    Column("payload", JSON, nullable=False),  # growthos.analysis.snapshots.Snapshot.payload(); never updated
    CheckConstraint(_in("period_kind", ("day", "week", "month", "quarter")), name="period_kind"),
    UniqueConstraint("period_kind", "period_start", "taken_at"),
    Index(None, "taken_at"),
    sqlite_autoincrement=True,
)

from growthos.store import loops as _loops  # noqa: E402, F401  (registers the growth-loop tables)
