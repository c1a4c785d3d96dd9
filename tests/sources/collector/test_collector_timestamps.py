"""Clock-skew correction, computed by hand: timestamp = receivedAt − (sentAt − originalTimestamp)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from growthos.core.errors import InvalidInput
from growthos.sources.collector import parse_segment
from growthos.sources.collector.timestamps import parse_field_naive, parse_timestamp, resolve_times


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_slow_client_clock_is_corrected() -> None:
    # The client's clock is 3 min behind: it made the call at its 10:00:00, sent at its 10:00:05,
    # we received at 10:03:05. The event happened 5 s before receipt: 10:03:00.
    times = resolve_times(
        {"timestamp": "2024-05-01T10:00:00Z", "sentAt": "2024-05-01T10:00:05Z"}, received_at=utc(2024, 5, 1, 10, 3, 5)
    )
    assert times.timestamp == utc(2024, 5, 1, 10, 3, 0)
    assert times.original_timestamp == utc(2024, 5, 1, 10, 0, 0)
    assert times.sent_at == utc(2024, 5, 1, 10, 0, 5)
    assert times.received_at == utc(2024, 5, 1, 10, 3, 5)


def test_fast_client_clock_and_offsets() -> None:
    # originalTimestamp 12:00:00+02:00 is 10:00:00Z; sentAt 10:00:30Z; received 09:58:30Z (clock 2 min fast).
    # 09:58:30 − (10:00:30 − 10:00:00) = 09:58:00.
    times = resolve_times(
        {"originalTimestamp": "2024-05-01T12:00:00+02:00", "sentAt": "2024-05-01T10:00:30.000Z"},
        received_at=utc(2024, 5, 1, 9, 58, 30),
    )
    assert times.timestamp == utc(2024, 5, 1, 9, 58, 0)
    assert times.original_timestamp == utc(2024, 5, 1, 10, 0, 0)


def test_offline_queue_keeps_the_wait() -> None:
    # Queued offline for a day: called at (client) 2024-04-30T08:15:00, sent 2024-05-01T08:15:00.250,
    # received 2024-05-01T08:15:01 → happened a day and 0.25 s before sending, in our clock:
    # 2024-05-01T08:15:01 − 1 day 0.25 s = 2024-04-30T08:15:00.750.
    times = resolve_times(
        {"timestamp": "2024-04-30T08:15:00Z", "sentAt": "2024-05-01T08:15:00.250Z"},
        received_at=utc(2024, 5, 1, 8, 15, 1),
    )
    assert times.timestamp == datetime(2024, 4, 30, 8, 15, 0, 750_000, tzinfo=UTC)


def test_batch_sent_at_stands_in_and_message_sent_at_wins() -> None:
    events = parse_segment("batch", {
        "sentAt": "2024-05-01T10:00:10Z",
        "batch": [
            {"type": "track", "userId": "u", "event": "a", "timestamp": "2024-05-01T10:00:00Z"},
            {"type": "track", "userId": "u", "event": "b", "timestamp": "2024-05-01T10:00:00Z",
             "sentAt": "2024-05-01T10:00:04Z"},
        ],
    }, received_at=utc(2024, 5, 1, 11, 0, 0)).events
    assert events[0].timestamp == utc(2024, 5, 1, 10, 59, 50)  # 11:00:00 − 10 s
    assert events[1].timestamp == utc(2024, 5, 1, 10, 59, 56)  # 11:00:00 − 4 s
    assert events[0].sent_at == utc(2024, 5, 1, 10, 0, 10)


def test_explicit_timestamp_without_sent_at_is_used_as_given() -> None:
    # A server library importing history: no sentAt, so no skew to correct; −05:00 → UTC.
    times = resolve_times({"timestamp": "2023-11-05T05:00:00-05:00"}, received_at=utc(2024, 5, 1))
    assert times.timestamp == utc(2023, 11, 5, 10, 0, 0)
    assert times.original_timestamp == utc(2023, 11, 5, 10, 0, 0)
    assert times.sent_at is None


def test_already_processed_messages_keep_their_timestamp() -> None:
    times = resolve_times(
        {"timestamp": "2024-05-01T10:03:00Z", "originalTimestamp": "2024-05-01T10:00:00Z",
         "sentAt": "2024-05-01T10:00:05Z"},
        received_at=utc(2024, 6, 1),
    )
    assert times.timestamp == utc(2024, 5, 1, 10, 3, 0)
    assert times.original_timestamp == utc(2024, 5, 1, 10, 0, 0)


def test_no_client_time_means_receive_time() -> None:
    times = resolve_times({"sentAt": "2024-05-01T10:00:05Z"}, received_at=utc(2024, 5, 1, 10, 3, 5))
    assert times.timestamp == utc(2024, 5, 1, 10, 3, 5)
    assert times.original_timestamp is None


def test_sent_before_called_is_still_the_formula() -> None:
    # A broken client: sentAt 1 min before originalTimestamp → 1 min after receipt (not clamped).
    times = resolve_times({"timestamp": "2024-05-01T10:01:00Z", "sentAt": "2024-05-01T10:00:00Z"},
                          received_at=utc(2024, 5, 1, 10, 0, 0))
    assert times.timestamp == utc(2024, 5, 1, 10, 1, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00Z", utc(2024, 5, 1, 10)),
        ("2024-05-01T10:00:00.123Z", datetime(2024, 5, 1, 10, 0, 0, 123_000, tzinfo=UTC)),
        ("2024-05-01T10:00:00.123456789Z", datetime(2024, 5, 1, 10, 0, 0, 123_456, tzinfo=UTC)),
        ("2024-05-01T15:30:00+05:30", utc(2024, 5, 1, 10)),
        ("2024-05-01T10:00:00+0000", utc(2024, 5, 1, 10)),
        ("2024-05-01T10:00:00", utc(2024, 5, 1, 10)),
        ("2024-05-01", utc(2024, 5, 1)),
    ],
)
def test_iso_8601_forms(text: str, expected: datetime) -> None:
    assert parse_timestamp(text, "timestamp") == expected


def test_received_at_must_be_aware() -> None:
    with pytest.raises(ValueError):
        resolve_times({}, received_at=datetime(2024, 5, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00.123Z", datetime(2024, 5, 1, 10, 0, 0, 123_000)),
        ("2024-05-01T15:30:00+05:30", datetime(2024, 5, 1, 10)),
        ("2024-05-01T10:00:00", datetime(2024, 5, 1, 10)),
    ],
)
def test_naive_utc_reading_equals_the_aware_one(text: str, expected: datetime) -> None:
    assert parse_field_naive(text, "", "timestamp") == expected
    assert parse_timestamp(text, "timestamp") == expected.replace(tzinfo=UTC)


@pytest.mark.parametrize("text", ["2024-05-01T10:00:00+05:00Z", "2024-05-01Z", "2024-05-01T25:00:00Z"])
def test_naive_utc_reading_refuses_what_the_aware_one_refuses(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_field_naive(text, "batch[2].", "timestamp")
    assert info.value.field == "batch[2].timestamp"
    with pytest.raises(InvalidInput):
        parse_timestamp(text, "timestamp")


@pytest.mark.parametrize(("message", "field"), [
    ({"timestamp": "0001-01-01T00:00:00Z"}, "timestamp"),
    ({"timestamp": "1999-12-31T23:59:59Z"}, "timestamp"),
    ({"timestamp": "2024-05-03T10:00:01Z"}, "timestamp"),  # one day and a second after receipt
    ({"originalTimestamp": "2024-05-01T10:00:00Z", "sentAt": "1990-01-01T00:00:00Z"}, "timestamp"),
])
def test_implausible_event_times_are_refused(message, field) -> None:
    body = {"type": "track", "event": "x", "userId": "u", **message}
    with pytest.raises(InvalidInput) as err:
        parse_segment("track", body, received_at=utc(2024, 5, 2, 10, 0, 0))
    assert err.value.field == field and "out of range" in err.value.message


def test_plausible_edges_are_kept() -> None:
    received = utc(2024, 5, 2, 10, 0, 0)
    for stamp in ("2000-01-01T00:00:00Z", "2024-05-03T10:00:00Z"):
        (event,) = parse_segment("track", {"event": "x", "userId": "u", "timestamp": stamp},
                                 received_at=received).events
        assert event.timestamp == datetime.fromisoformat(stamp)
    batch = {"batch": [{"type": "track", "event": "x", "userId": "u", "timestamp": "2024-05-01T00:00:00Z"},
                       {"type": "track", "event": "x", "userId": "u", "timestamp": "1900-01-01T00:00:00Z"}]}
    with pytest.raises(InvalidInput) as err:
        parse_segment("batch", batch, received_at=received)
    assert err.value.field == "batch[1].timestamp"
