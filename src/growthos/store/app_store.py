"""AppStore: the one object the rest of GrowthOS uses to read and write the app database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from types import EllipsisType, TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from growthos.core.errors import ConfigError, RetryableError
from growthos.security.crypto import EncryptionKey, KeySource, key_source
from growthos.store import alerts as alert_rows
from growthos.store import checks, connections, jobs, keys, oauth_states, sessions, snapshots
from growthos.store.connections import Connection, ConnectionTest, Rotation
from growthos.store.engine import describe_url, make_engine
from growthos.store.migrate import upgrade_engine
from growthos.store.oauth_states import ConsumedAuthorization, PendingAuthorization
from growthos.store.records import ApiKey, CheckOutcome, JobRun, Session
from growthos.store.snapshots import StoredSnapshot
from growthos.store.types import utcnow

if TYPE_CHECKING:
    from growthos.config import Settings
    from growthos.sources.connectors import ConnectionConfig

Clock = Callable[[], datetime]


class AppStore:
    """Operational state of a workspace: job runs, check results, API keys, sessions and connections.

    Thread-safe (each call takes a pooled connection); share one instance per process.
    """

    def __init__(self, engine: Engine, *, clock: Clock | None = None, keys: KeySource | None = None) -> None:
        """Wrap an engine whose database is already migrated; most callers want ``open``.

        ``keys`` is where connection secrets' encryption key comes from (``from_settings`` sets it).
        """
        self._engine = engine
        self._clock: Clock = clock or utcnow
        self._keys = keys

    @classmethod
    def open(cls, url: str, *, clock: Clock | None = None, keys: KeySource | None = None) -> AppStore:
        """Open the database at ``url``, creating it (and a SQLite file's directory) and migrating it to head.

        ``clock`` (returning aware datetimes) replaces the wall clock, for tests.
        Raises ConfigError for a bad URL, an unreachable server or a database from a newer GrowthOS.
        """
        engine = make_engine(url)
        try:
            upgrade_engine(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock, keys=keys)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> AppStore:
        """Open the workspace's app database (``settings.resolved_app_db_url``), creating the data dir."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls.open(settings.resolved_app_db_url, clock=clock, keys=key_source(settings))

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return describe_url(self._engine.url)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def close(self) -> None:
        """Release every pooled connection (the store can still reconnect if used again)."""
        self._engine.dispose()

    def __enter__(self) -> AppStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AppStore({self.url!r})"

    def ping(self) -> None:
        """Raise RetryableError when the database cannot answer a trivial query."""
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1")).scalar_one()
        except DBAPIError as exc:
            raise RetryableError(f"app database {self.url} is unreachable: {exc.orig}") from exc

    # -- job runs ---------------------------------------------------------------------------------

    def start_job(self, kind: str, params: dict[str, Any] | None = None) -> int:
        """Record a job of ``kind`` as running from now; returns its id."""
        return jobs.start_job(self._engine, self._clock, kind, params)

    def finish_job(
        self,
        job_id: int,
        status: str,
        *,
        rows: dict[str, int] | None = None,
        error: str | None = None,
        stats: dict[str, Any] | None = None,
    ) -> None:
        """Mark a running job ``succeeded`` or ``failed`` as of now.

        Raises InvalidInput (bad status, rows or stats), NotFound (unknown id), Conflict (already finished).
        """
        jobs.finish_job(self._engine, self._clock, job_id, status, rows=rows, error=error, stats=stats)

    def fail_interrupted_jobs(self, started_before: datetime) -> int:
        """Mark failed (as interrupted) the jobs still running that started before ``started_before``: called by
        a process that has just taken the warehouse's exclusive lock, with the time it began to open it."""
        return jobs.fail_interrupted_jobs(self._engine, self._clock, started_before)

    def get_job(self, job_id: int) -> JobRun:
        """The job with this id; raises NotFound."""
        return jobs.get_job(self._engine, job_id)

    def list_jobs(
        self, kind: str | None = None, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[JobRun]:
        """Jobs newest first (by start time, then id), optionally of one kind and/or status."""
        return jobs.list_jobs(self._engine, kind, status, limit, offset)

    def last_job(self, kind: str, status: str | None = None) -> JobRun | None:
        """The newest job of ``kind`` (with ``status`` if given), or None."""
        return jobs.last_job(self._engine, kind, status)

    # -- data-quality checks ----------------------------------------------------------------------

    def save_check_results(self, job_id: int, results: list[CheckOutcome]) -> None:
        """Save the check outcomes of a job in order, replacing any saved for it before.

        Outcomes without ``checked_at`` get now. Raises NotFound (unknown job) or InvalidInput.
        """
        checks.save_check_results(self._engine, self._clock, job_id, results)

    def latest_check_results(self) -> list[CheckOutcome]:
        """The outcomes of the newest job that saved any, in saved order; empty if none ever did."""
        return checks.latest_check_results(self._engine)

    # -- API keys ---------------------------------------------------------------------------------

    def create_api_key(self, name: str, scope: str) -> tuple[ApiKey, str]:
        """Create a key of ``scope`` (read, ingest, admin); returns it and its secret.

        The secret is returned here only: the database keeps its SHA-256 hash. Raises InvalidInput
        (``name`` empty or over 128 characters, unknown ``scope``).
        """
        return keys.create_api_key(self._engine, self._clock, name, scope)

    def authenticate_key(self, secret: str) -> ApiKey | None:
        """The key with this secret, or None when it is unknown or revoked (or not a string at all).

        Records the use in ``last_used_at``, at most once a minute per key (so not a write per request).
        """
        return keys.authenticate_key(self._engine, self._clock, secret)

    def list_api_keys(self, include_revoked: bool = False) -> list[ApiKey]:
        """Keys oldest first; revoked ones only when ``include_revoked``."""
        return keys.list_api_keys(self._engine, include_revoked)

    def revoke_api_key(self, key_id: int) -> None:
        """Revoke a key as of now and end its sessions; revoking again changes nothing. Raises NotFound."""
        keys.revoke_api_key(self._engine, self._clock, key_id)

    # -- sessions ---------------------------------------------------------------------------------

    def create_session(self, key_id: int, ttl_s: int = 8 * 3600) -> tuple[Session, str]:
        """Open a session for a key, valid ``ttl_s`` seconds, with the key's scope and a new CSRF token.

        Returns it and its token, here only (the database keeps its SHA-256 hash). Raises NotFound
        (unknown key), Conflict (revoked key), InvalidInput (``ttl_s`` not between 1 and 30 days).
        """
        return sessions.create_session(self._engine, self._clock, key_id, ttl_s)

    def get_session(self, token: str) -> Session | None:
        """The session of this token, or None when it is unknown, expired or its key revoked."""
        return sessions.get_session(self._engine, self._clock, token)

    def delete_session(self, token: str) -> None:
        """End the session of this token (logout); nothing happens if there is none."""
        sessions.delete_session(self._engine, token)

    def purge_expired_sessions(self) -> int:
        """Delete expired sessions (and any of a revoked key); returns how many were deleted."""
        return sessions.purge_expired_sessions(self._engine, self._clock)

    # -- connections ------------------------------------------------------------------------------

    @property
    def keys(self) -> KeySource:
        """Where the encryption key of connection secrets comes from; ConfigError when the store has none."""
        if self._keys is None:
            raise ConfigError("this app store has no encryption key (open it with from_settings or keys=...)",
                              field="encryption_key")
        return self._keys

    def create_connection(self, name: str, kind: str, values: dict[str, Any] | None = None,
                          api_base_url: str | None = None) -> Connection:
        """Save a connection of connector ``kind``; ``values`` holds its fields, secrets encrypted at rest.

        Raises InvalidInput naming the field (bad name, unknown kind, unknown or missing field, bad value)
        or Conflict (the name is taken).
        """
        return connections.create_connection(self._engine, self._clock, self.keys, name, kind, values, api_base_url)

    def list_connections(self) -> list[Connection]:
        """Every connection by name, secrets masked."""
        return connections.list_connections(self._engine, self.keys)

    def get_connection(self, name: str) -> Connection:
        """One connection, secrets masked; raises NotFound."""
        return connections.get_connection(self._engine, self.keys, name)

    def update_connection(self, name: str, values: dict[str, Any] | None = None,
                          api_base_url: str | None | EllipsisType = ...) -> Connection:
        """Change the given values only (a secret left out keeps its value; None removes an optional field);
        ``api_base_url=...`` keeps it. Raises NotFound or InvalidInput naming the field."""
        return connections.update_connection(self._engine, self._clock, self.keys, name, values, api_base_url)

    def delete_connection(self, name: str) -> None:
        """Remove a connection and its secrets; raises NotFound."""
        connections.delete_connection(self._engine, name)

    def connection_config(self, name: str) -> ConnectionConfig:
        """What a connector gets: the settings and the decrypted secrets (keep it in memory only)."""
        return connections.connection_config(self._engine, self.keys, name)

    def record_test_result(self, name: str, ok: bool, message: str) -> None:
        """Store the outcome of a connection test as of now; raises NotFound."""
        connections.record_test_result(self._engine, self._clock, name, ok, message)

    def test_connection(self, name: str) -> ConnectionTest:
        """Make the connector's one authenticated call, record and return the outcome (a failure is an outcome)."""
        return connections.run_test(self._engine, self._clock, self.keys, name)

    def rotate_encryption_key(self, new_key: EncryptionKey | None = None) -> Rotation:
        """Re-encrypt every connection secret under a new (or the given) key, in one transaction."""
        return connections.rotate_encryption_key(self._engine, self.keys, new_key)

    # -- pending OAuth authorizations ---------------------------------------------------------------

    def begin_oauth(self, connection: str, redirect_uri: str) -> PendingAuthorization:
        """A new state and PKCE verifier for authorizing ``connection``, kept (state hashed, verifier encrypted)
        for 10 minutes with the redirect URI; raises NotFound when there is no such connection."""
        return oauth_states.begin_authorization(self._engine, self._clock, self.keys, connection, redirect_uri)

    def consume_oauth_state(self, state: str) -> ConsumedAuthorization:
        """The pending authorization of ``state``, once; OAuthStateError (400) when unknown, expired or used."""
        return oauth_states.consume_authorization(self._engine, self._clock, self.keys, state)

    def purge_oauth_states(self) -> int:
        """Delete expired and used pending authorizations; returns how many."""
        return oauth_states.purge_authorizations(self._engine, self._clock)

    # -- alerts (growthos.store.alerts; the rules themselves are growthos.alerts) ----------------------

    def list_alert_rules(self) -> list[alert_rows.StoredRule]:
        """Alert rules saved through the API, by name."""
        return alert_rows.list_rules(self._engine)

    def get_alert_rule(self, name: str) -> alert_rows.StoredRule | None:
        """The stored rule of this name, or None."""
        return alert_rows.get_rule(self._engine, name)

    def save_alert_rule(self, *, name: str, kind: str, metric: str | None, params: dict[str, Any], severity: str,
                        cooldown_s: int, enabled: bool, create_only: bool = False) -> alert_rows.StoredRule:
        """Store a rule (replacing one of that name; Conflict instead when ``create_only``); InvalidInput."""
        return alert_rows.save_rule(self._engine, self._clock, name=name, kind=kind, metric=metric, params=params,
                                    severity=severity, cooldown_s=cooldown_s, enabled=enabled,
                                    create_only=create_only)

    def delete_alert_rule(self, name: str) -> None:
        """Remove a stored rule; raises NotFound."""
        alert_rows.delete_rule(self._engine, name)

    def record_alert_firing(self, **fields: Any) -> alert_rows.Firing:
        """A rule's condition holds now: update the active alert of its dedup key, or open one (cooldown permitting).
        Keyword arguments: see growthos.store.alerts.record_firing."""
        return alert_rows.record_firing(self._engine, self._clock, **fields)

    def resolve_cleared_alerts(self, dedup_key: str) -> list[alert_rows.Alert]:
        """The condition of ``dedup_key`` cleared: resolve its active alerts as ``auto``; returns them."""
        return alert_rows.resolve_cleared(self._engine, self._clock, dedup_key)

    def get_alert(self, alert_id: int) -> alert_rows.Alert:
        """One alert; raises NotFound."""
        return alert_rows.get_alert(self._engine, alert_id)

    def list_alerts(self, status: str | None = None, rule: str | None = None, limit: int = 100,
                    offset: int = 0) -> list[alert_rows.Alert]:
        """Alerts newest first, optionally of one status (or ``active``) and/or rule: the history."""
        return alert_rows.list_alerts(self._engine, status, rule, limit, offset)

    def count_alerts(self) -> dict[str, int]:
        """Number of alerts per status."""
        return alert_rows.count_alerts(self._engine)

    def acknowledge_alert(self, alert_id: int) -> alert_rows.Alert:
        """Acknowledge an open alert as of now; NotFound, Conflict (resolved)."""
        return alert_rows.acknowledge_alert(self._engine, self._clock, alert_id)

    def resolve_alert(self, alert_id: int) -> alert_rows.Alert:
        """Resolve an alert by hand as of now; NotFound."""
        return alert_rows.resolve_alert(self._engine, self._clock, alert_id)

    def record_notification_attempt(self, *, alert_id: int, channel: str, channel_kind: str, attempt: int,
                                    status: str, error: str | None = None) -> alert_rows.NotificationAttempt:
        """Record one delivery attempt of an alert to a channel (``delivered`` or ``failed`` with the error)."""
        return alert_rows.record_attempt(self._engine, self._clock, alert_id=alert_id, channel=channel,
                                         channel_kind=channel_kind, attempt=attempt, status=status, error=error)

    def list_notification_attempts(self, alert_id: int | None = None,
                                   limit: int = 1000) -> list[alert_rows.NotificationAttempt]:
        """Delivery attempts oldest first, of one alert or of all."""
        return alert_rows.list_attempts(self._engine, alert_id, limit)

    # -- snapshots (immutable: create, get, list; never updated) ------------------------------------

    def create_snapshot(self, period_kind: str, period_start: date, period_end: date, payload: dict[str, Any],
                        taken_at: datetime | None = None) -> StoredSnapshot:
        """Store a snapshot taken at ``taken_at`` (default now). Raises InvalidInput naming the field, or Conflict
        when one of the same kind and period start was taken at the same instant."""
        return snapshots.create_snapshot(self._engine, self._clock, period_kind, period_start, period_end, payload,
                                         taken_at)

    def get_snapshot(self, snapshot_id: int) -> StoredSnapshot:
        """One snapshot with its payload; raises NotFound."""
        return snapshots.get_snapshot(self._engine, snapshot_id)

    def list_snapshots(self, period_kind: str | None = None, limit: int = 100, offset: int = 0) -> list[StoredSnapshot]:
        """Snapshots newest first (by taken_at, then id), optionally of one period kind."""
        return snapshots.list_snapshots(self._engine, period_kind, limit, offset)
