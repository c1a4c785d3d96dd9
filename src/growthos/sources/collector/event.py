"""One collected event, whatever shape it arrived in (a Segment message or a GrowthOS app event).

Two forms: :class:`Event`, one object per event (what callers build and read), and
:class:`EventBatch`, the parser's output: the same events already as storage rows (JSON encoded,
keyed), so a request costs no per-event object and the writer no per-event encoding. An
``EventBatch`` is a sequence of ``Event`` (built on access) and ``EventWriter.submit`` takes either.

A storage row (``Event.to_row``) holds the values of ``EVENT_COLUMNS`` without ``ingest_seq``:
``message_key`` as 32 hex digits, times as naive UTC datetimes, the JSON columns as JSON text (str),
the rest str or None — what the journal's payload (payload.py) writes as it is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

import orjson

SEGMENT_TYPES = ("track", "identify", "page", "screen", "group", "alias")


def dump_json(value: dict[str, Any] | None) -> str | None:
    """Compact JSON text as stored in the warehouse (None stays NULL)."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _loaded(text: str | bytes | None) -> dict[str, Any] | None:
    return None if text is None else orjson.loads(text)


def naive_utc(value: datetime | None) -> datetime | None:
    """A time as rows hold it: naive, in UTC (a naive time is taken as UTC already)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def message_key(message_id: str) -> bytes:
    """The 16-byte key the events table is unique on: BLAKE2b-128 of the message id.

    A fixed-width key keeps the primary-key index small and fast whatever ids clients send
    (measured at 1M rows: index about half the size of one on the text ids)."""
    return hashlib.blake2b(message_id.encode(), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Event:
    """A validated message, times resolved; ``extra`` keeps every field not given a column."""

    message_id: str
    type: str
    timestamp: datetime
    received_at: datetime
    user_id: str | None = None
    anonymous_id: str | None = None
    event: str | None = None
    """Track event name."""
    name: str | None = None
    """Page or screen name."""
    group_id: str | None = None
    previous_id: str | None = None
    original_timestamp: datetime | None = None
    sent_at: datetime | None = None
    properties: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    traits: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None
    source: str = "segment"
    """Which shape it arrived in: ``segment`` or ``app``."""

    @property
    def distinct_id(self) -> str:
        """The id the events table is clustered on: the user id if known, else the anonymous id."""
        return self.user_id or self.anonymous_id or ""

    @property
    def key(self) -> bytes:
        return message_key(self.message_id)

    def to_row(self) -> tuple:
        """The storage row (see the module docstring): values in the order of ``EVENT_COLUMNS`` without
        ``ingest_seq``, which the loader assigns."""
        return (
            self.key.hex(), self.message_id, self.type, self.event, self.name, self.user_id, self.anonymous_id,
            self.distinct_id, self.group_id, self.previous_id, naive_utc(self.timestamp),
            naive_utc(self.original_timestamp), naive_utc(self.sent_at), naive_utc(self.received_at),
            dump_json(self.properties), dump_json(self.context),
            dump_json(self.traits), dump_json(self.extra), self.source,
        )

    @classmethod
    def from_row(cls, row: tuple) -> Event:
        """The event of a row in the order of ``EVENT_COLUMNS`` (JSON columns decoded)."""
        return cls(
            message_id=row[1], type=row[2], event=row[3], name=row[4], user_id=row[5], anonymous_id=row[6],
            group_id=row[8], previous_id=row[9], timestamp=_aware(row[10]), original_timestamp=_aware(row[11]),
            sent_at=_aware(row[12]), received_at=_aware(row[13]), properties=_loaded(row[14]),
            context=_loaded(row[15]), traits=_loaded(row[16]), extra=_loaded(row[17]), source=row[18],
        )


class EventBatch(Sequence[Event]):
    """Events held as storage rows (see the module docstring); indexing builds the :class:`Event`."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[tuple]) -> None:
        self.rows = rows
        """One tuple per event, as ``Event.to_row`` gives it."""

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            return [Event.from_row(row) for row in self.rows[index]]
        return Event.from_row(self.rows[index])

    def __iter__(self) -> Iterator[Event]:
        return (Event.from_row(row) for row in self.rows)

    def __repr__(self) -> str:
        return f"EventBatch({len(self.rows)} events)"


EVENT_COLUMNS = (
    "message_key", "message_id", "type", "event", "name", "user_id", "anonymous_id", "distinct_id", "group_id",
    "previous_id", "timestamp", "original_timestamp", "sent_at", "received_at", "properties", "context",
    "traits", "extra", "source",
)
