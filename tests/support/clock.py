"""A hand-driven clock for tests of code that stamps times (e.g. AppStore.open(url, clock=...))."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Returns ``now`` until told to advance; pass it as ``AppStore.open(url, clock=...)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 2, 10, 12, 0, 0, 123456, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now
