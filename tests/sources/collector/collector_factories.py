"""Event factories shared by the collector tests (imported by name: this directory is on sys.path)."""

from __future__ import annotations

from datetime import UTC, datetime

from growthos.sources.collector import Event

T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def track(message_id: str, *, user: str | None = None, anon: str | None = None, event: str = "Clicked",
          at: datetime = T0, **fields) -> Event:
    """A track event as the parser would produce it."""
    return Event(message_id=message_id, type="track", timestamp=at, received_at=at, user_id=user,
                 anonymous_id=anon, event=event, **fields)


def message(type_: str, message_id: str, *, user: str | None = None, anon: str | None = None,
            at: datetime = T0, **fields) -> Event:
    return Event(message_id=message_id, type=type_, timestamp=at, received_at=at, user_id=user,
                 anonymous_id=anon, **fields)
