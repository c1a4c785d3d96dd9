"""The scheduler on a hand-driven clock: the sync fires every interval, the build daily at build_time in the
reporting time zone (also on the days DST starts and ends), a job still running is skipped rather than run
twice, a job that cannot start never stops the others, and the thread stops at once when asked (also inside
a real ServerState)."""

from __future__ import annotations

import threading
import time as wall
from datetime import UTC, date, datetime, timedelta
from datetime import time as tod
from zoneinfo import ZoneInfo

import pytest
from support.clock import FakeClock

from growthos.config import Settings, load_settings
from growthos.core.errors import ConfigError, Conflict
from growthos.jobs.scheduler import DailyAt, Every, ScheduledJob, Scheduler, server_schedules
from growthos.server.state import ServerState
from growthos.workspace import Workspace

START = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


class Run:
    """A job's run handle that the test finishes by hand."""

    def __init__(self) -> None:
        self.finished = False

    def done(self) -> bool:
        return self.finished


class Recorder:
    """A job that records when it ran (by the scheduler's clock) and hands out a handle per run."""

    def __init__(self, clock: FakeClock, *, finish_at_once: bool = True) -> None:
        self.clock = clock
        self.finish_at_once = finish_at_once
        self.runs: list[datetime] = []
        self.handles: list[Run] = []

    def __call__(self) -> Run:
        self.runs.append(self.clock())
        handle = Run()
        handle.finished = self.finish_at_once
        self.handles.append(handle)
        return handle


def drive(scheduler: Scheduler, clock: FakeClock, until: datetime, step: timedelta = timedelta(minutes=5)) -> None:
    """Tick every ``step`` of fake time until ``until``."""
    while clock() < until:
        clock.advance(step.total_seconds())
        scheduler.tick()


def test_sync_fires_every_interval_from_the_start() -> None:
    clock = FakeClock(START)
    sync = Recorder(clock)
    scheduler = Scheduler([ScheduledJob("sync", Every(timedelta(minutes=60)), sync)], clock=clock)
    assert scheduler.next_runs() == {"sync": START + timedelta(hours=1)}
    assert scheduler.tick() == 3600.0  # nothing due at the start; an hour to wait
    clock.advance(59 * 60)
    assert scheduler.tick() == 60.0 and sync.runs == []
    drive(scheduler, clock, START + timedelta(hours=5), step=timedelta(minutes=1))
    assert sync.runs == [START + timedelta(hours=h) for h in range(1, 6)]
    assert [f.outcome for f in scheduler.history] == ["started"] * 5


def test_firings_missed_while_the_machine_slept_are_not_made_up() -> None:
    clock = FakeClock(START)
    sync = Recorder(clock)
    scheduler = Scheduler([ScheduledJob("sync", Every(timedelta(minutes=60)), sync)], clock=clock)
    clock.advance(5 * 3600 + 600)  # asleep for 5 h 10 min
    assert scheduler.tick() == 50 * 60.0
    assert sync.runs == [START + timedelta(hours=5, minutes=10)]  # once, and the plan stays on the hour
    assert scheduler.next_runs()["sync"] == START + timedelta(hours=6)


@pytest.mark.parametrize(("start", "days", "expected"), [
    # DST starts on Sunday 8 March 2026 in New York: 06:00 is 11:00 UTC before, 10:00 UTC from that day.
    (START, 4, ["2026-03-07T11:00", "2026-03-08T10:00", "2026-03-09T10:00", "2026-03-10T10:00"]),
    # DST ends on Sunday 1 November 2026: 06:00 is 10:00 UTC before, 11:00 UTC from that day.
    (datetime(2026, 10, 30, 12, tzinfo=UTC), 3, ["2026-10-31T10:00", "2026-11-01T11:00", "2026-11-02T11:00"]),
])
def test_build_fires_daily_at_build_time_in_the_reporting_time_zone(start, days, expected, make_settings) -> None:
    clock = FakeClock(start)
    build = Recorder(clock)
    settings = make_settings(timezone="America/New_York", build_time="06:00", sync_interval_minutes=60)
    jobs = server_schedules(settings, sync=lambda: None, build=build)
    scheduler = Scheduler(jobs, clock=clock)
    drive(scheduler, clock, start + timedelta(days=days))
    assert [at.strftime("%Y-%m-%dT%H:%M") for at in build.runs] == expected
    # Between the builds: 24 h, except across the DST change (23 h in March, 25 h in November).
    syncs = [f for f in scheduler.history if f.job == "sync"]
    assert len(syncs) == days * 24 and {f.outcome for f in syncs} == {"nothing"}


def test_daily_times_skipped_or_repeated_by_dst_fire_once() -> None:
    new_york = "America/New_York"
    skipped = DailyAt(tod(2, 30), new_york)  # 02:00 -> 03:00 on 8 March: fires 03:30 EDT (07:30 UTC)
    assert skipped.next_after(datetime(2026, 3, 8, 0, tzinfo=UTC)) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    repeated = DailyAt(tod(1, 30), new_york)  # 01:00-02:00 twice on 1 November: the first (EDT, 05:30 UTC)
    first = repeated.next_after(datetime(2026, 11, 1, 0, tzinfo=UTC))
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert repeated.next_after(first) == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)  # not again at 06:30 UTC
    assert repeated.on(date(2026, 11, 2)) == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)


def test_a_job_still_running_is_skipped_not_run_twice() -> None:
    clock = FakeClock(START)
    sync = Recorder(clock, finish_at_once=False)
    scheduler = Scheduler([ScheduledJob("sync", Every(timedelta(minutes=60)), sync)], clock=clock)
    drive(scheduler, clock, START + timedelta(hours=3))
    assert len(sync.runs) == 1  # 13:00 ran and is still running at 14:00 and 15:00
    assert [f.outcome for f in scheduler.history] == ["started", "skipped", "skipped"]
    sync.handles[0].finished = True
    drive(scheduler, clock, START + timedelta(hours=4))
    assert sync.runs == [START + timedelta(hours=1), START + timedelta(hours=4)]


def test_a_job_that_cannot_start_is_skipped_or_failed_and_the_others_still_run() -> None:
    clock = FakeClock(START)
    build = Recorder(clock)
    outcomes = iter([Conflict("a build is already running"), RuntimeError("bug"), None])

    def sync():
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome
        return None

    scheduler = Scheduler([ScheduledJob("sync", Every(timedelta(minutes=60)), sync),
                           ScheduledJob("build", Every(timedelta(minutes=90)), build)], clock=clock)
    drive(scheduler, clock, START + timedelta(hours=3))
    assert [(f.job, f.outcome, f.detail) for f in scheduler.history] == [
        ("sync", "skipped", "a build is already running"), ("build", "started", ""),
        ("sync", "failed", "RuntimeError"), ("build", "started", ""), ("sync", "nothing", "")]  # 15:00: both due


def test_the_thread_runs_on_the_injected_clock_and_sleep_and_stops_cleanly() -> None:
    clock = FakeClock(START)
    runs: list[datetime] = []
    sleeps: list[float] = []
    scheduler: Scheduler

    def sync() -> None:
        runs.append(clock())
        if len(runs) == 3:
            scheduler.stop()  # from inside the thread: it ends after this tick

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    scheduler = Scheduler([ScheduledJob("sync", Every(timedelta(minutes=60)), sync)], clock=clock, sleep=sleep,
                          max_sleep_s=1500)
    scheduler.start()
    scheduler._thread.join(10)
    assert not scheduler.running
    assert runs == [START + timedelta(hours=h) for h in (1, 2, 3)]
    assert sleeps == [1500, 1500, 600] * 3


def test_stop_interrupts_a_long_sleep_at_once() -> None:
    scheduler = Scheduler([ScheduledJob("sync", Every(timedelta(hours=1)), lambda: None)])
    scheduler.start()
    assert scheduler.running
    started = wall.monotonic()
    scheduler.stop()
    assert wall.monotonic() - started < 2
    assert not scheduler.running
    assert "growthos-scheduler" not in {t.name for t in threading.enumerate()}
    assert list(scheduler.history) == []


def test_the_server_starts_its_scheduler_when_enabled_and_stops_it_on_close(make_settings) -> None:
    settings = make_settings(scheduler_enabled=True, sync_interval_minutes=15, build_time="23:59")
    state = ServerState(Workspace(settings))
    state.start()
    try:
        assert state.scheduler is not None and state.scheduler.running
        assert set(state.scheduler.jobs) == {"sync", "build"}
        sync_at = state.scheduler.next_runs()["sync"]
        assert timedelta(minutes=14) < sync_at - datetime.now(UTC) <= timedelta(minutes=15)
        build_at = state.scheduler.next_runs()["build"]
        assert build_at.astimezone(ZoneInfo(settings.timezone)).strftime("%H:%M") == "23:59"
        assert timedelta(0) < build_at - datetime.now(UTC) <= timedelta(days=1)
    finally:
        state.close()
    assert not state.scheduler.running
    assert list(state.scheduler.history) == []  # nothing was due while it ran


def test_test_servers_run_no_scheduler_unless_asked(make_settings) -> None:
    assert make_settings().scheduler_enabled is False  # tests/conftest.py sets GROWTHOS_SCHEDULER_ENABLED=false
    state = ServerState(Workspace(make_settings()))
    state.start()
    try:
        assert state.scheduler is None
    finally:
        state.close()


@pytest.mark.parametrize("value", ["6am", "24:00", "06:60", "6:00", ""])
def test_build_time_must_be_hh_mm(make_settings, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_settings(build_time=value)
    assert caught.value.field == "build_time"
    assert "build_time must be a time of day as HH:MM" in caught.value.message


def test_settings_defaults() -> None:
    fields = Settings.model_fields
    assert (fields["scheduler_enabled"].default, fields["sync_interval_minutes"].default,
            fields["build_time"].default) == (True, 60, "06:00")
    with pytest.raises(ConfigError) as caught:
        load_settings(sync_interval_minutes=0)
    assert caught.value.field == "sync_interval_minutes"
