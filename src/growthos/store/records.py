"""What the store hands out: job runs, check outcomes, API keys and sessions (plain frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JOB_STATUSES: tuple[str, ...] = ("running", "succeeded", "failed")
"""Every status a job run can have; a job starts ``running`` and is finished once."""
FINAL_JOB_STATUSES: tuple[str, ...] = ("succeeded", "failed")
"""Statuses ``finish_job`` accepts."""
CHECK_STATUSES: tuple[str, ...] = ("pass", "warn", "fail")
"""Statuses of a data-quality check outcome."""


@dataclass(frozen=True)
class JobRun:
    """One run of a job (a build, a sync, a snapshot...), as recorded in the app database."""

    id: int
    kind: str
    status: str
    started_at: datetime
    """Aware UTC datetime."""
    ended_at: datetime | None
    """Aware UTC datetime, None while the job is running."""
    params: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    """Rows written per table (or per stream)."""
    stats: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end; None while the job is running."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def finished(self) -> bool:
        return self.status != "running"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO 8601 datetimes) for the API and ``--json`` output."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_s": self.duration_s,
            "params": self.params,
            "rows": self.rows,
            "stats": self.stats,
            "error": self.error,
        }


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one data-quality check; ``job_id`` and ``checked_at`` are filled in once saved."""

    name: str
    status: str
    """``pass``, ``warn`` or ``fail``."""
    observed: float | None
    threshold: float | None
    detail: str
    description: str = ""
    job_id: int | None = None
    checked_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO 8601 datetimes) for the API and ``--json`` output."""
        return {
            "name": self.name,
            "status": self.status,
            "observed": self.observed,
            "threshold": self.threshold,
            "detail": self.detail,
            "description": self.description,
            "job_id": self.job_id,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
        }


@dataclass(frozen=True)
class ApiKey:
    """An API key as listed: never its secret nor the secret's hash (the secret is shown once, at creation)."""

    id: int
    name: str
    scope: str
    """``read``, ``ingest`` or ``admin`` (growthos.security.keys.SCOPES)."""
    prefix: str
    """The visible start of the secret (``gos_read_AbCd1234``), to tell keys apart."""
    created_at: datetime
    """Aware UTC datetime, as are the two below."""
    last_used_at: datetime | None
    """When the key last authenticated, to the minute (updated at most once a minute); None if never."""
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO 8601 datetimes) for the API and ``--json`` output."""
        return {
            "id": self.id,
            "name": self.name,
            "scope": self.scope,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked": self.revoked,
        }


@dataclass(frozen=True)
class Session:
    """A dashboard session opened with an API key; its token is shown once, at creation, and stored hashed."""

    id: int
    key_id: int
    scope: str
    """Copied from the key when the session was created."""
    csrf_token: str = field(repr=False)
    """Sent back with every state-changing request of the session (kept out of repr and to_dict)."""
    created_at: datetime
    """Aware UTC datetime, as is expires_at."""
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        """Whether the session is over at ``now`` (an aware datetime)."""
        return now >= self.expires_at

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO 8601 datetimes); without the CSRF token."""
        return {
            "id": self.id,
            "key_id": self.key_id,
            "scope": self.scope,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }
