"""Job runs: start, finish, list and look up (queries over the ``job_runs`` table)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update

from growthos.core.errors import Conflict, NotFound
from growthos.store import validate
from growthos.store.engine import read_transaction, write_transaction
from growthos.store.records import FINAL_JOB_STATUSES, JOB_STATUSES, JobRun
from growthos.store.schema import job_runs

MAX_PAGE = 10_000
"""Largest ``limit`` list_jobs accepts."""


def start_job(engine: Engine, clock: Callable[[], datetime], kind: str, params: dict[str, Any] | None) -> int:
    validate.text(kind, "kind", max_length=64, allow_empty=False)
    params = validate.json_object(params, "params")
    with write_transaction(engine) as conn:
        result = conn.execute(
            insert(job_runs).values(kind=kind, status="running", started_at=clock(), params=params, rows={}, stats={})
        )
        return int(result.inserted_primary_key[0])


def finish_job(
    engine: Engine,
    clock: Callable[[], datetime],
    job_id: int,
    status: str,
    *,
    rows: dict[str, int] | None,
    error: str | None,
    stats: dict[str, Any] | None,
) -> None:
    validate.identifier(job_id, "job_id")
    validate.one_of(status, FINAL_JOB_STATUSES, "status")
    rows = validate.row_counts(rows, "rows")
    stats = validate.json_object(stats, "stats")
    if error is not None:
        validate.text(error, "error")
    with write_transaction(engine) as conn:
        # Conditional update: finishing is atomic even when two processes race to finish one job.
        result = conn.execute(
            update(job_runs)
            .where(job_runs.c.id == job_id, job_runs.c.status == "running")
            .values(status=status, ended_at=clock(), rows=rows, stats=stats, error=error)
        )
        if result.rowcount == 1:
            return
        current = conn.execute(select(job_runs.c.status).where(job_runs.c.id == job_id)).scalar_one_or_none()
    if current is None:
        raise NotFound(f"job {job_id} does not exist", field="job_id")
    raise Conflict(f"job {job_id} is already finished (status {current!r})", field="job_id")


INTERRUPTED = ("interrupted: the process running it stopped before it finished (killed or crashed); its changes "
               "were rolled back")
"""The error of a job found still running by the next process to own the warehouse."""


def fail_interrupted_jobs(engine: Engine, clock: Callable[[], datetime], started_before: datetime) -> int:
    """Mark failed every job still running that started before ``started_before``; how many."""
    with write_transaction(engine) as conn:
        result = conn.execute(
            update(job_runs)
            .where(job_runs.c.status == "running", job_runs.c.started_at < started_before)
            .values(status="failed", ended_at=clock(), error=INTERRUPTED)
        )
        return int(result.rowcount or 0)


def get_job(engine: Engine, job_id: int) -> JobRun:
    validate.identifier(job_id, "job_id")
    with read_transaction(engine) as conn:
        row = conn.execute(select(job_runs).where(job_runs.c.id == job_id)).one_or_none()
    if row is None:
        raise NotFound(f"job {job_id} does not exist", field="job_id")
    return _to_job(row)


def list_jobs(engine: Engine, kind: str | None, status: str | None, limit: int, offset: int) -> list[JobRun]:
    validate.int_range(limit, "limit", minimum=1, maximum=MAX_PAGE)
    validate.int_range(offset, "offset", minimum=0)
    query = select(job_runs)
    if kind is not None:
        validate.text(kind, "kind", max_length=64)
        query = query.where(job_runs.c.kind == kind)
    if status is not None:
        validate.one_of(status, JOB_STATUSES, "status")
        query = query.where(job_runs.c.status == status)
    query = query.order_by(job_runs.c.started_at.desc(), job_runs.c.id.desc()).limit(limit).offset(offset)
    with read_transaction(engine) as conn:
        return [_to_job(row) for row in conn.execute(query)]


def last_job(engine: Engine, kind: str, status: str | None) -> JobRun | None:
    validate.text(kind, "kind", max_length=64)
    jobs = list_jobs(engine, kind, status, 1, 0)
    return jobs[0] if jobs else None


def _to_job(row: Row[Any]) -> JobRun:
    m = row._mapping
    return JobRun(
        id=m["id"],
        kind=m["kind"],
        status=m["status"],
        started_at=m["started_at"],
        ended_at=m["ended_at"],
        params=m["params"] or {},
        rows=m["rows"] or {},
        stats=m["stats"] or {},
        error=m["error"],
    )
