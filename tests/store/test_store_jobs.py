"""Job runs on both backends: lifecycle, listing, JSON round trips, time, and refused input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from support.clock import FakeClock

from growthos.core.errors import Conflict, InvalidInput, NotFound
from growthos.store import AppStore, JobRun


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(app_db_url: str, clock: FakeClock):
    s = AppStore.open(app_db_url, clock=clock)
    yield s
    s.close()


def test_start_job_records_a_running_job(store: AppStore, clock: FakeClock) -> None:
    job_id = store.start_job("build", {"full_refresh": True, "models": ["stg_orders"]})
    job = store.get_job(job_id)
    assert isinstance(job_id, int)
    assert job == JobRun(
        id=job_id, kind="build", status="running", started_at=clock.now, ended_at=None,
        params={"full_refresh": True, "models": ["stg_orders"]}, rows={}, stats={}, error=None,
    )
    assert job.duration_s is None
    assert not job.finished


def test_finish_job_records_outcome_rows_stats_and_duration(store: AppStore, clock: FakeClock) -> None:
    job_id = store.start_job("build")
    clock.advance(12.5)
    store.finish_job(job_id, "succeeded", rows={"fct_orders": 1200, "dim_customers": 0},
                     stats={"models": 14, "warnings": ["slow model"], "ratio": 0.25})
    job = store.get_job(job_id)
    assert job.status == "succeeded"
    assert job.ended_at == clock.now
    assert job.duration_s == 12.5
    assert job.rows == {"fct_orders": 1200, "dim_customers": 0}
    assert list(job.rows) == ["fct_orders", "dim_customers"]  # insertion order kept on both backends
    assert job.stats == {"models": 14, "warnings": ["slow model"], "ratio": 0.25}
    assert job.error is None
    assert job.to_dict()["duration_s"] == 12.5


def test_failed_job_keeps_error_text(store: AppStore) -> None:
    job_id = store.start_job("sync", {"source": "shopify"})
    message = "Shopify 401: invalid API key\nline two — with unicode ✓"
    store.finish_job(job_id, "failed", error=message)
    job = store.get_job(job_id)
    assert (job.status, job.error, job.rows, job.stats) == ("failed", message, {}, {})


def test_json_round_trip_of_nested_values(store: AppStore) -> None:
    params = {"nested": {"a": [1, 2.5, None, True, "ü"], "b": {}}, "empty": [], "big": 2**53 + 1, "neg": -3.75}
    job_id = store.start_job("snapshot", params)
    store.finish_job(job_id, "succeeded", stats=params)
    job = store.get_job(job_id)
    assert job.params == params
    assert job.stats == params


def test_list_jobs_newest_first_with_filters_and_paging(store: AppStore, clock: FakeClock) -> None:
    ids = []
    for i, kind in enumerate(["build", "sync", "build", "snapshot", "build"]):
        clock.advance(60)
        ids.append(store.start_job(kind, {"i": i}))
    store.finish_job(ids[0], "succeeded")
    store.finish_job(ids[2], "failed", error="boom")
    store.finish_job(ids[1], "succeeded")

    assert [j.id for j in store.list_jobs()] == ids[::-1]
    assert [j.id for j in store.list_jobs(kind="build")] == [ids[4], ids[2], ids[0]]
    assert [j.id for j in store.list_jobs(status="succeeded")] == [ids[1], ids[0]]
    assert [j.id for j in store.list_jobs(kind="build", status="running")] == [ids[4]]
    assert [j.id for j in store.list_jobs(limit=2)] == [ids[4], ids[3]]
    assert [j.id for j in store.list_jobs(limit=2, offset=2)] == [ids[2], ids[1]]
    assert [j.id for j in store.list_jobs(limit=2, offset=4)] == [ids[0]]
    assert store.list_jobs(offset=10) == []
    assert store.list_jobs(kind="alerts") == []


def test_same_start_time_orders_by_id(store: AppStore) -> None:
    ids = [store.start_job("build") for _ in range(3)]  # the fake clock does not move
    assert [j.id for j in store.list_jobs()] == ids[::-1]


def test_last_job(store: AppStore, clock: FakeClock) -> None:
    assert store.last_job("build") is None
    first = store.start_job("build")
    store.finish_job(first, "succeeded")
    clock.advance(1)
    second = store.start_job("build")
    clock.advance(1)
    store.start_job("sync")
    assert store.last_job("build").id == second
    assert store.last_job("build", status="succeeded").id == first
    assert store.last_job("build", status="failed") is None


def test_datetimes_are_aware_utc_whatever_the_input_zone(app_db_url: str) -> None:
    # 09:30:00.000001 at UTC+05:30 is 04:00:00.000001 UTC; the PostgreSQL test server runs in New York time.
    india = timezone(timedelta(hours=5, minutes=30))
    clock = FakeClock(datetime(2026, 3, 8, 9, 30, 0, 1, tzinfo=india))
    with AppStore.open(app_db_url, clock=clock) as store:
        job_id = store.start_job("build")
        clock.advance(0.5)
        store.finish_job(job_id, "succeeded")
        job = store.get_job(job_id)
    assert job.started_at == datetime(2026, 3, 8, 4, 0, 0, 1, tzinfo=UTC)
    assert job.started_at.tzinfo is UTC and job.ended_at.tzinfo is UTC
    assert job.ended_at == datetime(2026, 3, 8, 4, 0, 0, 500001, tzinfo=UTC)
    assert job.duration_s == 0.5


def test_wall_clock_is_used_by_default(app_db_url: str) -> None:
    with AppStore.open(app_db_url) as store:
        before = datetime.now(UTC)
        job = store.get_job(store.start_job("build"))
        after = datetime.now(UTC)
    assert job.started_at.tzinfo is UTC
    assert before - timedelta(seconds=1) <= job.started_at <= after + timedelta(seconds=1)


def test_unknown_job_is_not_found(store: AppStore) -> None:
    with pytest.raises(NotFound) as exc:
        store.get_job(999)
    assert exc.value.field == "job_id"
    with pytest.raises(NotFound):
        store.finish_job(999, "succeeded")


def test_finishing_twice_conflicts_and_keeps_the_first_outcome(store: AppStore) -> None:
    job_id = store.start_job("build")
    store.finish_job(job_id, "succeeded", rows={"t": 1})
    with pytest.raises(Conflict, match="already finished"):
        store.finish_job(job_id, "failed", error="late")
    job = store.get_job(job_id)
    assert (job.status, job.rows, job.error) == ("succeeded", {"t": 1}, None)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s, j: s.finish_job(j, "done"), "status"),
        (lambda s, j: s.finish_job(j, "running"), "status"),
        (lambda s, j: s.finish_job(j, "succeeded", rows={"t": -1}), "rows"),
        (lambda s, j: s.finish_job(j, "succeeded", rows={"t": 1.5}), "rows"),
        (lambda s, j: s.finish_job(j, "succeeded", rows=[("t", 1)]), "rows"),
        (lambda s, j: s.finish_job(j, "succeeded", stats={"x": Decimal("1.5")}), "stats"),
        (lambda s, j: s.finish_job(j, "succeeded", stats={"x": [float("nan")]}), "stats"),
        (lambda s, j: s.finish_job(j, "succeeded", stats={1: "int key"}), "stats"),
        (lambda s, j: s.finish_job(j, "failed", error=RuntimeError("x")), "error"),
        (lambda s, j: s.finish_job(str(j), "succeeded"), "job_id"),
        (lambda s, j: s.start_job(""), "kind"),
        (lambda s, j: s.start_job("x" * 65), "kind"),
        (lambda s, j: s.start_job("build", params="full"), "params"),
        (lambda s, j: s.start_job("build", params={"when": datetime.now(UTC)}), "params"),
        (lambda s, j: s.list_jobs(status="ok"), "status"),
        (lambda s, j: s.list_jobs(limit=0), "limit"),
        (lambda s, j: s.list_jobs(offset=-1), "offset"),
        (lambda s, j: s.last_job("build", status="finished"), "status"),
        (lambda s, j: s.get_job("1"), "job_id"),
    ],
)
def test_invalid_input_names_the_field_and_changes_nothing(store: AppStore, call, field: str) -> None:
    job_id = store.start_job("build")
    with pytest.raises(InvalidInput) as exc:
        call(store, job_id)
    assert exc.value.field == field
    assert field in str(exc.value)
    assert [(j.id, j.status) for j in store.list_jobs()] == [(job_id, "running")]


def test_jobs_left_running_by_a_dead_process_are_marked_interrupted(store: AppStore, clock: FakeClock) -> None:
    from growthos.store.jobs import INTERRUPTED

    orphan = store.start_job("build")
    done = store.start_job("sync")
    store.finish_job(done, "succeeded")
    cutoff = clock.advance(5)
    own = store.start_job("ingest")  # started by the new process itself, after its cutoff
    assert store.fail_interrupted_jobs(cutoff) == 1
    job = store.get_job(orphan)
    assert (job.status, job.error, job.ended_at) == ("failed", INTERRUPTED, cutoff)
    assert store.get_job(done).status == "succeeded" and store.get_job(own).status == "running"
    assert store.fail_interrupted_jobs(cutoff) == 0
