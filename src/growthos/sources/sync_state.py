"""Incremental sync state per (connection, stream), kept in the warehouse beside the records it follows.

A stream's state is a cursor (e.g. the greatest ``updatedAt`` stored so far) and a lookback window: the
next sync asks for records updated since ``cursor - lookback``, so late-indexed or clock-skewed records
are read again (the raw layer ignores what it already holds). ``store_page`` writes a page of records
and the advanced cursor in one transaction: the cursor never gets ahead of the stored records, and an
interrupted sync resumes after the last stored page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from growthos.sources.base import RawRecord
from growthos.warehouse.engine import Engine
from growthos.warehouse.raw import IngestStats, ingest

STATE_TABLE = "_sync_state"

STATE_DDL = f"""
CREATE TABLE IF NOT EXISTS {STATE_TABLE} (
    connection VARCHAR NOT NULL,
    stream VARCHAR NOT NULL,
    cursor VARCHAR,
    lookback_seconds BIGINT NOT NULL,
    records BIGINT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (connection, stream)
)
"""

DEFAULT_LOOKBACK = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class StreamState:
    connection: str
    """The connection's name."""
    stream: str
    """The stream within the connection (``orders``)."""
    cursor: str | None = None
    """Where the next sync starts (an ISO-8601 ``updatedAt``), None before the first stored page."""
    lookback: timedelta = DEFAULT_LOOKBACK
    """How far before the cursor the next sync starts reading again."""
    records: int = 0
    """Records stored by this stream so far (received, including unchanged ones)."""

    def since(self) -> datetime | None:
        """The instant the next incremental read starts from: cursor minus lookback, or None (read all)."""
        if self.cursor is None:
            return None
        return parse_instant(self.cursor) - self.lookback


def parse_instant(value: str) -> datetime:
    """An ISO-8601 instant (``2026-01-05T14:03:22Z``) as an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def ensure_state_table(engine: Engine) -> None:
    engine.execute(STATE_DDL)


def load_state(engine: Engine, connection: str, stream: str, *, lookback: timedelta | None = None) -> StreamState:
    """The stream's saved state, or an empty one; ``lookback`` overrides the saved window."""
    ensure_state_table(engine)
    rows = engine.query(
        f"SELECT cursor, lookback_seconds, records FROM {STATE_TABLE} WHERE connection = ? AND stream = ?",
        [connection, stream],
    ).to_pylist()
    if not rows:
        return StreamState(connection, stream, lookback=lookback if lookback is not None else DEFAULT_LOOKBACK)
    row = rows[0]
    window = lookback if lookback is not None else timedelta(seconds=row["lookback_seconds"])
    return StreamState(connection, stream, row["cursor"], window, int(row["records"]))


def save_state(engine: Engine, state: StreamState) -> None:
    """Insert or replace the stream's state (call inside the transaction that stored its records)."""
    ensure_state_table(engine)
    engine.execute(
        f"""
        INSERT INTO {STATE_TABLE} (connection, stream, cursor, lookback_seconds, records, saved_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (connection, stream) DO UPDATE SET
            cursor = excluded.cursor, lookback_seconds = excluded.lookback_seconds,
            records = excluded.records, saved_at = excluded.saved_at
        """,
        [state.connection, state.stream, state.cursor, int(state.lookback.total_seconds()), state.records,
         datetime.now(UTC)],
    )


def clear_state(engine: Engine, connection: str, stream: str | None = None) -> None:
    """Forget a connection's state (one stream, or all): its next sync reads everything again."""
    ensure_state_table(engine)
    if stream is None:
        engine.execute(f"DELETE FROM {STATE_TABLE} WHERE connection = ?", [connection])
    else:
        engine.execute(f"DELETE FROM {STATE_TABLE} WHERE connection = ? AND stream = ?", [connection, stream])


def store_page(engine: Engine, records: Iterable[RawRecord], state: StreamState) -> IngestStats:
    """Append a page of records to the raw layer and save ``state`` in the same transaction."""
    ensure_state_table(engine)
    with engine.transaction():
        stats = ingest(engine, records)
        save_state(engine, state)
    return stats


def advance(state: StreamState, records: Iterable[RawRecord]) -> StreamState:
    """The state after storing ``records``: cursor = the greatest ``updated_at`` seen (never moves back)."""
    latest = parse_instant(state.cursor) if state.cursor else None
    count = 0
    for record in records:
        count += 1
        if record.updated_at is not None and (latest is None or record.updated_at > latest):
            latest = record.updated_at
    cursor = _iso(latest) if latest is not None else state.cursor
    return StreamState(state.connection, state.stream, cursor, state.lookback, state.records + count)


def _iso(instant: datetime) -> str:
    instant = instant.astimezone(UTC)
    text = instant.strftime("%Y-%m-%dT%H:%M:%S")
    if instant.microsecond:
        text += f".{instant.microsecond:06d}"
    return text + "Z"
