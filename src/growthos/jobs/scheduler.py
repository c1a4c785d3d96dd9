"""The server's scheduler: a registry of jobs by name, each with a schedule, run by one small thread.

The server's schedules (``server_schedules``): ``sync`` every ``sync_interval_minutes`` (every connection,
then a build when anything new was stored) and ``build`` daily at ``build_time`` in the reporting time zone.
A job's ``run`` only queues work (on the server's warehouse writer) and returns a handle with ``done()``;
the scheduler never starts a job again while its previous run is unfinished (that firing is skipped), and
a firing missed while the process was busy or asleep is not made up (the next one is planned from now).

Clock and sleep are injectable: ``tick()`` runs whatever is due at ``clock()`` and returns the seconds until
the next firing, so tests drive it by hand. Times are aware datetimes, compared in UTC.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from growthos.core.errors import Conflict, GrowthOSError

if TYPE_CHECKING:
    from growthos.config import Settings

log = logging.getLogger("growthos.jobs.scheduler")

MAX_SLEEP_S = 60.0
"""Longest single sleep of the thread, so a change of the wall clock is noticed within a minute."""


class Schedule(Protocol):
    def next_after(self, moment: datetime) -> datetime:
        """The first firing strictly after ``moment`` (aware), as an aware UTC datetime."""
        ...


class Handle(Protocol):
    """What a job's ``run`` returns: a concurrent.futures.Future or anything with ``done()``."""

    def done(self) -> bool: ...


@dataclass(frozen=True)
class Every:
    """Every ``interval``, counted from when the scheduler starts."""

    interval: timedelta

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError(f"interval must be positive; got {self.interval}")

    def next_after(self, moment: datetime) -> datetime:
        return (moment + self.interval).astimezone(UTC)


@dataclass(frozen=True)
class DailyAt:
    """Daily at a wall-clock time of a time zone. On a day the clocks skip that time (DST starts), it fires
    as many minutes after the jump as the time lies after the gap's start (02:30 → 03:30); on a day the time
    repeats (DST ends), it fires once, at the first."""

    at: time
    timezone: str

    def next_after(self, moment: datetime) -> datetime:
        zone = ZoneInfo(self.timezone)
        moment = moment.astimezone(UTC)
        day = moment.astimezone(zone).date() - timedelta(days=1)
        while True:
            candidate = self.on(day)
            if candidate > moment:
                return candidate
            day += timedelta(days=1)

    def on(self, day: date) -> datetime:
        """The firing on ``day`` (a local date), in UTC."""
        return datetime.combine(day, self.at, tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    schedule: Schedule
    run: Callable[[], Handle | None]
    """Start the job (queue it); returns a handle while it runs, or None when there was nothing to do.
    Raising Conflict means it is already running (started by someone else): that firing is skipped."""


@dataclass(frozen=True)
class Firing:
    """One firing as the scheduler saw it (``Scheduler.history``)."""

    job: str
    at: datetime
    """When it was due (UTC)."""
    outcome: str
    """``started``, ``nothing`` (no work), ``skipped`` (still running) or ``failed`` (could not start)."""
    detail: str = ""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    """Runs the registered jobs on their schedules in one daemon thread (``start`` / ``stop``), or by hand
    (``tick``). Thread-safe enough for one thread ticking and others reading ``next_runs`` and ``history``."""

    def __init__(
        self,
        jobs: Iterable[ScheduledJob],
        *,
        clock: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], object] | None = None,
        max_sleep_s: float = MAX_SLEEP_S,
        history: int = 200,
    ) -> None:
        """``sleep`` defaults to waiting on the stop signal (so ``stop`` interrupts it at once)."""
        self.jobs: dict[str, ScheduledJob] = {}
        for job in jobs:
            if job.name in self.jobs:
                raise ValueError(f"job {job.name!r} scheduled twice")
            self.jobs[job.name] = job
        self._clock = clock
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._max_sleep = max_sleep_s
        self._lock = threading.Lock()
        now = self._now()
        self._next = {name: job.schedule.next_after(now) for name, job in self.jobs.items()}
        self._running: dict[str, Handle] = {}
        self.history: deque[Firing] = deque(maxlen=history)
        """The latest firings, oldest first."""
        self._thread: threading.Thread | None = None

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def next_runs(self) -> dict[str, datetime]:
        """Each job's next firing (UTC)."""
        with self._lock:
            return dict(self._next)

    def tick(self) -> float:
        """Fire every job that is due, then return the seconds until the next firing (never negative)."""
        now = self._now()
        with self._lock:
            due = sorted((at, name) for name, at in self._next.items() if at <= now)
            for at, name in due:
                self._fire(name, at)
                following = self.jobs[name].schedule.next_after(at)
                while following <= now:  # firings missed (a busy or sleeping machine) are not made up
                    following = self.jobs[name].schedule.next_after(following)
                self._next[name] = following
            earliest = min(self._next.values(), default=now + timedelta(seconds=self._max_sleep))
        return max(0.0, (earliest - self._now()).total_seconds())

    def _fire(self, name: str, at: datetime) -> None:
        previous = self._running.get(name)
        if previous is not None and not previous.done():
            self._record(name, at, "skipped", "the previous run is still running")
            return
        try:
            handle = self.jobs[name].run()
        except Conflict as exc:
            self._record(name, at, "skipped", exc.message)
            return
        except GrowthOSError as exc:
            self._record(name, at, "failed", exc.message)
            return
        except Exception as exc:  # a scheduled job must never take the scheduler down
            log.exception("scheduled job %s could not start", name)
            self._record(name, at, "failed", type(exc).__name__)
            return
        if handle is None:
            self._running.pop(name, None)
            self._record(name, at, "nothing")
        else:
            self._running[name] = handle
            self._record(name, at, "started")

    def _record(self, name: str, at: datetime, outcome: str, detail: str = "") -> None:
        self.history.append(Firing(name, at, outcome, detail))
        if outcome in ("skipped", "failed"):
            log.info("scheduled %s at %s %s: %s", name, at.isoformat(), outcome, detail)
        else:
            log.debug("scheduled %s at %s %s", name, at.isoformat(), outcome)

    # -- the thread -------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is not None:
            raise RuntimeError("the scheduler was already started")
        self._thread = threading.Thread(target=self._loop, name="growthos-scheduler", daemon=True)
        self._thread.start()
        log.info("scheduler started: %s", ", ".join(f"{n} next at {at.isoformat()}" for n, at in
                                                   sorted(self.next_runs().items())))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread and wait for it (jobs already queued are not the scheduler's to stop)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the scheduler thread did not stop within %.0f s", timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delay = self.tick()
            except Exception:
                log.exception("scheduler tick failed")
                delay = self._max_sleep
            if self._stop.is_set():
                break
            self._sleep(min(delay, self._max_sleep))


def server_schedules(settings: Settings, *, sync: Callable[[], Handle | None],
                     build: Callable[[], Handle | None]) -> list[ScheduledJob]:
    """The server's jobs: ``sync`` every ``sync_interval_minutes``; ``build`` daily at ``build_time`` in the
    reporting time zone."""
    return [
        ScheduledJob("sync", Every(timedelta(minutes=settings.sync_interval_minutes)), sync),
        ScheduledJob("build", DailyAt(settings.build_at, settings.timezone), build),
    ]
