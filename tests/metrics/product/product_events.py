"""Event factories for the product-analytics tests (imported by name: this directory is on sys.path).

Events go through the real EventWriter, so ids are merged into people exactly as in production."""

from __future__ import annotations

import itertools
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from growthos.sources.collector import Event, EventWriter
from growthos.warehouse.engine import Engine

NY = ZoneInfo("America/New_York")  # EDT, UTC-4, throughout May 2024
_ids = itertools.count(1)


def ny(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A New York wall-clock time in 2024, as a UTC instant."""
    return datetime(2024, month, day, hour, minute, tzinfo=NY).astimezone(UTC)


def track(event: str, at: datetime, *, user: str | None = None, anon: str | None = None,
          props: dict | None = None) -> Event:
    return Event(message_id=f"m{next(_ids)}", type="track", timestamp=at, received_at=at, user_id=user,
                 anonymous_id=anon, event=event, properties=props)


def page(at: datetime, *, user: str | None = None, anon: str | None = None, name: str = "Home") -> Event:
    return Event(message_id=f"m{next(_ids)}", type="page", timestamp=at, received_at=at, user_id=user,
                 anonymous_id=anon, name=name)


def identify(at: datetime, *, user: str, anon: str | None = None, traits: dict | None = None) -> Event:
    return Event(message_id=f"m{next(_ids)}", type="identify", timestamp=at, received_at=at, user_id=user,
                 anonymous_id=anon, traits=traits)


def write(engine: Engine, events: list[Event]) -> None:
    """Store events in time order through the collector's writer (identities merged as they arrive)."""
    with tempfile.TemporaryDirectory() as journal, EventWriter(engine, journal_dir=Path(journal)) as writer:
        writer.submit(sorted(events, key=lambda e: e.timestamp))
