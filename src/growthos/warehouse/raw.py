"""The raw layer: append-only, idempotent storage of source records exactly as the APIs returned them.

A record's key is (source, entity, external_id, payload hash): ingesting the same record again
changes nothing, and a changed payload (an order later refunded) is stored as a newer version that
staging prefers. Records are appended in batches with one INSERT OR IGNORE per batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

import orjson
import pyarrow as pa

from growthos.sources.base import RawRecord
from growthos.warehouse.engine import Engine

RAW_TABLE = "raw_events"

RAW_DDL = f"""
CREATE TABLE IF NOT EXISTS {RAW_TABLE} (
    record_key VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    external_id VARCHAR,
    payload JSON NOT NULL,
    payload_hash VARCHAR NOT NULL,
    source_updated_at TIMESTAMPTZ,
    ingested_at TIMESTAMPTZ NOT NULL,
    ingest_seq BIGINT NOT NULL
)
"""

_SCHEMA = pa.schema(
    [
        ("record_key", pa.string()),
        ("source", pa.string()),
        ("entity", pa.string()),
        ("external_id", pa.string()),
        ("payload", pa.string()),
        ("payload_hash", pa.string()),
        ("source_updated_at", pa.timestamp("us", tz="UTC")),
        ("ingested_at", pa.timestamp("us", tz="UTC")),
        ("ingest_seq", pa.int64()),
    ]
)


@dataclass
class IngestStats:
    received: int = 0
    inserted: int = 0
    batches: int = 0
    by_entity: dict[str, int] = field(default_factory=dict)

    @property
    def unchanged(self) -> int:
        return self.received - self.inserted


def canonical_json(payload: dict) -> str:
    """The payload as compact UTF-8 JSON with sorted keys: equal payloads give equal text and hash."""
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()


def ensure_raw_table(engine: Engine) -> None:
    engine.execute(RAW_DDL)


def _next_seq(engine: Engine) -> int:
    result = engine.query(f"SELECT coalesce(max(ingest_seq), 0) AS m FROM {RAW_TABLE}")
    return int(result.column("m")[0].as_py()) + 1


def _batch_table(batch: list[RawRecord], first_seq: int, now: datetime) -> pa.Table:
    columns: dict[str, list] = {name: [] for name in _SCHEMA.names}
    seen: set[str] = set()
    seq = first_seq
    for rec in batch:
        text = canonical_json(rec.payload)
        payload_hash = hashlib.sha256(text.encode()).hexdigest()
        key_text = "\x1f".join((rec.source, rec.entity, rec.external_id or "", payload_hash))
        key = hashlib.sha256(key_text.encode()).hexdigest()
        if key in seen:
            continue
        seen.add(key)
        columns["record_key"].append(key)
        columns["source"].append(rec.source)
        columns["entity"].append(rec.entity)
        columns["external_id"].append(rec.external_id)
        columns["payload"].append(text)
        columns["payload_hash"].append(payload_hash)
        columns["source_updated_at"].append(rec.updated_at)
        columns["ingested_at"].append(now)
        columns["ingest_seq"].append(seq)
        seq += 1
    return pa.table(columns, schema=_SCHEMA)


def _batches(records: Iterable[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    it = iter(records)
    while batch := list(islice(it, size)):
        yield batch


def ingest(
    engine: Engine,
    records: Iterable[RawRecord],
    *,
    batch_size: int = 500,
    on_batch: Callable[[int], None] | None = None,
) -> IngestStats:
    """Append records to the raw layer; already-stored records are left as they are."""
    ensure_raw_table(engine)
    stats = IngestStats()
    seq = _next_seq(engine)
    for batch in _batches(records, batch_size):
        table = _batch_table(batch, seq, datetime.now(UTC))
        seq += table.num_rows
        engine.register("__raw_batch", table)
        try:
            inserted = engine.query(
                f"INSERT OR IGNORE INTO {RAW_TABLE} SELECT * FROM __raw_batch"
            ).column(0)[0].as_py()
        finally:
            engine.unregister("__raw_batch")
        stats.received += len(batch)
        stats.inserted += int(inserted)
        stats.batches += 1
        for rec in batch:
            key = f"{rec.source}.{rec.entity}"
            stats.by_entity[key] = stats.by_entity.get(key, 0) + 1
        if on_batch:
            on_batch(len(batch))
    return stats
