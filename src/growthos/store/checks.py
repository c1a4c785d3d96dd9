"""Data-quality check outcomes saved per job run (queries over the ``check_results`` table)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, delete, insert, select

from growthos.core.errors import InvalidInput, NotFound
from growthos.store import validate
from growthos.store.engine import read_transaction, write_transaction
from growthos.store.records import CHECK_STATUSES, CheckOutcome
from growthos.store.schema import check_results, job_runs


def save_check_results(
    engine: Engine, clock: Callable[[], datetime], job_id: int, results: Sequence[CheckOutcome]
) -> None:
    """Store the outcomes of ``job_id`` in the given order, replacing any saved for it before."""
    validate.identifier(job_id, "job_id")
    if isinstance(results, (str, bytes)) or not isinstance(results, Sequence):
        raise InvalidInput("results must be a list of CheckOutcome", field="results")
    now = clock()
    rows = [_to_row(job_id, position, outcome, now) for position, outcome in enumerate(results)]
    with write_transaction(engine) as conn:
        exists = conn.execute(select(job_runs.c.id).where(job_runs.c.id == job_id)).scalar_one_or_none()
        if exists is None:
            raise NotFound(f"job {job_id} does not exist", field="job_id")
        conn.execute(delete(check_results).where(check_results.c.job_id == job_id))
        if rows:
            conn.execute(insert(check_results), rows)


def latest_check_results(engine: Engine) -> list[CheckOutcome]:
    """The outcomes of the newest job (by start time, then id) that has any, in saved order."""
    newest_job = (
        select(job_runs.c.id)
        .where(select(check_results.c.id).where(check_results.c.job_id == job_runs.c.id).exists())
        .order_by(job_runs.c.started_at.desc(), job_runs.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(check_results).where(check_results.c.job_id == newest_job).order_by(check_results.c.position)
    with read_transaction(engine) as conn:
        return [_to_outcome(row) for row in conn.execute(query)]


def _to_row(job_id: int, position: int, outcome: Any, now: datetime) -> dict[str, Any]:
    where = f"results[{position}]"
    if not isinstance(outcome, CheckOutcome):
        raise InvalidInput(f"{where} must be a CheckOutcome; got {type(outcome).__name__}", field="results")
    return {
        "job_id": job_id,
        "position": position,
        "name": validate.text(outcome.name, f"{where}.name", max_length=128, allow_empty=False),
        "status": validate.one_of(outcome.status, CHECK_STATUSES, f"{where}.status"),
        "observed": validate.finite_number(outcome.observed, f"{where}.observed"),
        "threshold": validate.finite_number(outcome.threshold, f"{where}.threshold"),
        "detail": validate.text(outcome.detail, f"{where}.detail"),
        "description": validate.text(outcome.description, f"{where}.description"),
        "checked_at": validate.aware(outcome.checked_at, f"{where}.checked_at") or now,
    }


def _to_outcome(row: Row[Any]) -> CheckOutcome:
    m = row._mapping
    return CheckOutcome(
        name=m["name"],
        status=m["status"],
        observed=m["observed"],
        threshold=m["threshold"],
        detail=m["detail"],
        description=m["description"],
        job_id=m["job_id"],
        checked_at=m["checked_at"],
    )
