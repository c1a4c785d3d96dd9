"""ISO 8601 timestamps and Segment's client clock-skew correction.

Segment's four times: ``originalTimestamp`` (client clock when the call was made; SDKs send it as
``timestamp``), ``sentAt`` (client clock when the request left), ``receivedAt`` (our clock) and the
corrected ``timestamp = receivedAt − (sentAt − originalTimestamp)``: the time the client waited
before sending is kept, the client's clock error is dropped.

Rules applied by :func:`resolve_times`:

- only one client time (``timestamp`` or ``originalTimestamp``) and a ``sentAt`` → corrected as above;
- one client time and no ``sentAt`` (server libraries, historical imports) → used as given;
- both ``timestamp`` and ``originalTimestamp`` (a message already processed, e.g. a replay) →
  ``timestamp`` is used as given and ``originalTimestamp`` kept beside it;
- no client time → ``receivedAt``.

Every time is stored in UTC; a time without an offset is read as UTC. The resulting ``timestamp`` must lie
between :data:`EARLIEST` and :data:`MAX_AHEAD` after ``receivedAt`` (a client clock running fast without a
``sentAt``); outside, the message is refused (400 naming the field) rather than stored at year 1 or 9999.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from growthos.core.errors import InvalidInput

EARLIEST = datetime(2000, 1, 1)
"""The earliest event time accepted (naive UTC): anything older is a broken clock or a zero date."""
MAX_AHEAD = timedelta(days=1)
"""How far after its arrival an event may say it happened."""


def parse_timestamp(value: Any, field: str) -> datetime | None:
    """An ISO 8601 string as an aware UTC datetime; None or "" give None."""
    return parse_field(value, "", field)


def parse_field(value: Any, prefix: str, name: str) -> datetime | None:
    """:func:`parse_timestamp` of the field ``prefix + name`` (the name is only built for an error)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{prefix}{name} must be an ISO 8601 string", field=f"{prefix}{name}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(f"{prefix}{name} is not an ISO 8601 timestamp: {value[:40]!r}",
                               field=f"{prefix}{name}") from None
    tz = parsed.tzinfo
    if tz is UTC:
        return parsed
    if tz is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{prefix}{name} is out of range: {value[:40]!r}", field=f"{prefix}{name}") from None


def parse_field_naive(value: Any, prefix: str, name: str) -> datetime | None:
    """:func:`parse_field` as a naive datetime in UTC (what storage rows hold: pyarrow converts naive
    datetimes 12x faster than aware ones). The usual ``...THH:MM:SS[.fff]Z`` is read without its Z."""
    if type(value) is str and len(value) > 11 and value[-1] == "Z" and value[10] == "T":
        try:
            parsed = datetime.fromisoformat(value[:-1])
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            return parsed
    parsed = parse_field(value, prefix, name)
    return None if parsed is None else parsed.replace(tzinfo=None)


def client_times(given: datetime | None, original: datetime | None, sent_at: datetime | None,
                 received_at: datetime, sent_field: str) -> tuple[datetime, datetime | None]:
    """(timestamp, original_timestamp) from the parsed client times, by the rules above;
    ``received_at`` in UTC (all aware, or all naive UTC), ``sent_field`` names ``sentAt`` in an error."""
    if given is not None and original is not None:
        return given, original
    if original is None:
        original = given
        if original is None:
            return received_at, None
    if sent_at is None:
        return original, original
    try:
        return received_at - (sent_at - original), original
    except OverflowError:
        raise InvalidInput("timestamp and sentAt are too far apart", field=sent_field) from None


def check_plausible(timestamp: datetime, received_at: datetime, field: str) -> None:
    """Refuse an event time before :data:`EARLIEST` or more than :data:`MAX_AHEAD` after ``received_at``
    (both naive UTC)."""
    if timestamp < EARLIEST or timestamp > received_at + MAX_AHEAD:
        raise InvalidInput(f"{field} {timestamp.isoformat()}Z is out of range: events must be from "
                           f"{EARLIEST.date()} to one day after they are received", field=field)


@dataclass(frozen=True, slots=True)
class Times:
    timestamp: datetime
    """When it happened, corrected for client clock skew (UTC)."""
    original_timestamp: datetime | None
    """The client's own time of the call, as sent."""
    sent_at: datetime | None
    """The client's time when the request was sent, as sent."""
    received_at: datetime
    """Our time when the request arrived."""

    @property
    def client_time_given(self) -> bool:
        return self.original_timestamp is not None


def resolve_times(message: dict[str, Any], *, received_at: datetime, default_sent_at: Any = None,
                  prefix: str = "") -> Times:
    """The four times of one message; ``default_sent_at`` is a batch's own ``sentAt``."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    received_at = received_at.astimezone(UTC)
    given = parse_field(message.get("timestamp"), prefix, "timestamp")
    original = parse_field(message.get("originalTimestamp"), prefix, "originalTimestamp")
    sent_field = f"{prefix}sentAt"
    sent_value = message.get("sentAt")
    if sent_value in (None, ""):
        sent_value, sent_field = default_sent_at, "sentAt"
    sent_at = parse_timestamp(sent_value, sent_field)
    timestamp, original = client_times(given, original, sent_at, received_at, sent_field)
    return Times(timestamp, original, sent_at, received_at)
