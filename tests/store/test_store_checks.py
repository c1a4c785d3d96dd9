"""Data-quality check outcomes on both backends: save, latest job wins, order kept, refused input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from support.clock import FakeClock

from growthos.core.errors import InvalidInput, NotFound
from growthos.store import AppStore, CheckOutcome


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(app_db_url: str, clock: FakeClock):
    s = AppStore.open(app_db_url, clock=clock)
    yield s
    s.close()


def outcomes(*names: str, status: str = "pass") -> list[CheckOutcome]:
    return [
        CheckOutcome(name=n, status=status, observed=float(i), threshold=0.5 * i, detail=f"{n} ok",
                     description=f"checks {n}")
        for i, n in enumerate(names)
    ]


def test_nothing_saved_yet(store: AppStore) -> None:
    assert store.latest_check_results() == []
    store.start_job("build")
    assert store.latest_check_results() == []


def test_saved_outcomes_come_back_in_order_with_job_and_time(store: AppStore, clock: FakeClock) -> None:
    job_id = store.start_job("build")
    saved = [
        CheckOutcome("unique_keys", "pass", 0.0, 0.0, "no duplicate keys", "Primary keys are unique"),
        CheckOutcome("freshness", "warn", 26.5, 24.0, "orders are 26.5 h old"),
        CheckOutcome("row_reconciliation", "fail", None, None, "raw table missing"),
        CheckOutcome("a_first_alphabetically", "pass", -1e-9, 1e12, ""),
    ]
    store.save_check_results(job_id, saved)
    latest = store.latest_check_results()
    assert latest == [
        CheckOutcome(o.name, o.status, o.observed, o.threshold, o.detail, o.description, job_id=job_id,
                     checked_at=clock.now)
        for o in saved
    ]
    assert all(o.checked_at.tzinfo is UTC for o in latest)


def test_latest_job_wins(store: AppStore, clock: FakeClock) -> None:
    first = store.start_job("build")
    store.save_check_results(first, outcomes("a", "b", "c"))
    clock.advance(60)
    second = store.start_job("build")
    store.save_check_results(second, outcomes("z", "y", status="warn"))
    clock.advance(60)
    store.start_job("build")  # running, no results yet: the previous results stay the latest
    latest = store.latest_check_results()
    assert [(o.name, o.status, o.job_id) for o in latest] == [("z", "warn", second), ("y", "warn", second)]


def test_newest_job_wins_even_if_an_older_one_saves_later(store: AppStore, clock: FakeClock) -> None:
    older = store.start_job("build")
    clock.advance(1)
    newer = store.start_job("build")
    store.save_check_results(newer, outcomes("new"))
    store.save_check_results(older, outcomes("old"))
    assert [o.name for o in store.latest_check_results()] == ["new"]


def test_saving_again_replaces_the_jobs_outcomes(store: AppStore) -> None:
    job_id = store.start_job("build")
    store.save_check_results(job_id, outcomes("a", "b", "c"))
    store.save_check_results(job_id, outcomes("d"))
    assert [o.name for o in store.latest_check_results()] == ["d"]


def test_given_checked_at_is_kept_in_utc(store: AppStore) -> None:
    job_id = store.start_job("build")
    at = datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=-5)))
    store.save_check_results(job_id, [CheckOutcome("x", "pass", 1, 1, "", checked_at=at)])
    (saved,) = store.latest_check_results()
    assert saved.checked_at == datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    assert saved.checked_at.tzinfo is UTC
    assert saved.observed == 1.0 and isinstance(saved.observed, float)


def test_unknown_job_is_not_found(store: AppStore) -> None:
    with pytest.raises(NotFound):
        store.save_check_results(42, outcomes("a"))


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (CheckOutcome("x", "error", 1.0, 1.0, ""), "results[1].status"),
        (CheckOutcome("", "pass", 1.0, 1.0, ""), "results[1].name"),
        (CheckOutcome("x", "pass", float("nan"), 1.0, ""), "results[1].observed"),
        (CheckOutcome("x", "pass", 1.0, float("inf"), ""), "results[1].threshold"),
        (CheckOutcome("x", "pass", "1", 1.0, ""), "results[1].observed"),
        (CheckOutcome("x", "pass", 1.0, 1.0, None), "results[1].detail"),
        (CheckOutcome("x", "pass", 1.0, 1.0, "", checked_at=datetime(2026, 1, 1)), "results[1].checked_at"),
        ({"name": "x", "status": "pass"}, "results"),
    ],
)
def test_invalid_outcome_names_the_field_and_saves_nothing(store: AppStore, bad, field: str) -> None:
    earlier = store.start_job("build")
    store.save_check_results(earlier, outcomes("kept"))
    job_id = store.start_job("build")
    with pytest.raises(InvalidInput) as exc:
        store.save_check_results(job_id, [*outcomes("ok"), bad])
    assert exc.value.field == field
    assert [o.name for o in store.latest_check_results()] == ["kept"]
