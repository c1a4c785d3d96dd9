"""The raw layer: append-only, idempotent storage of source records exactly as the APIs returned them.

A record is (source, entity, coalesce(external_id, payload hash)); each stored row is one version of
it. Staging reads the version that sorts last by (source_updated_at NULLS FIRST, ingest_seq). An
incoming payload is stored as a new version unless the version it would follow in that order has the
same payload hash: re-ingesting unchanged data stores nothing, a changed payload (an order later
refunded) is a newer version, and a payload that returns to an earlier value (ad metrics restated
A -> B -> A) is stored again, so the newest ingestion wins for records without a source timestamp. A
stale payload (an older updatedAt arriving late) never wins in staging and is stored at most once.

``record_key`` is unique per stored version: sha256 of (source, entity, external_id, payload hash,
ingest_seq). Records without an external_id are their own identity (their hash), so for them "same
as the previous version" is "already stored": their key stays content-addressed (no ingest_seq) and
INSERT OR IGNORE drops them. Tables written by older versions (key without ingest_seq for every row)
keep working: keys never collide, and the version check reads rows, not keys.

Each batch costs one index lookup of the batch's external_ids (ART index on external_id, created on
first use), one window over those few stored versions plus the batch, and one INSERT.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

import orjson
import pyarrow as pa
import pyarrow.compute as pc

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

# The version lookup of each batch is an index scan on this (created once on tables of older versions).
RAW_INDEX_DDL = f"CREATE INDEX IF NOT EXISTS {RAW_TABLE}_external_id ON {RAW_TABLE} (external_id)"

# Ids looked up per query: well under DuckDB's index-scan threshold (index_scan_max_count = 2048 rows).
_LOOKUP_CHUNK = 500

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
_COLUMNS = _SCHEMA.names


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
    engine.execute(RAW_INDEX_DDL)


def _next_seq(engine: Engine) -> int:
    result = engine.query(f"SELECT coalesce(max(ingest_seq), 0) AS m FROM {RAW_TABLE}")
    return int(result.column("m")[0].as_py()) + 1


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _batch_table(batch: list[RawRecord], first_seq: int, now: datetime) -> pa.Table:
    """The batch as rows of raw_events, ingest_seq in arrival order (rows later found unchanged are
    dropped, leaving gaps in ingest_seq)."""
    columns: dict[str, list] = {name: [] for name in _SCHEMA.names}
    for seq, rec in enumerate(batch, start=first_seq):
        text = canonical_json(rec.payload)
        payload_hash = hashlib.sha256(text.encode()).hexdigest()
        if rec.external_id is None:  # identity = content: content-addressed key, INSERT OR IGNORE dedups
            key = _key(rec.source, rec.entity, "", payload_hash)
        else:  # one key per stored version
            key = _key(rec.source, rec.entity, rec.external_id, payload_hash, str(seq))
        columns["record_key"].append(key)
        columns["source"].append(rec.source)
        columns["entity"].append(rec.entity)
        columns["external_id"].append(rec.external_id)
        columns["payload"].append(text)
        columns["payload_hash"].append(payload_hash)
        columns["source_updated_at"].append(rec.updated_at)
        columns["ingested_at"].append(now)
        columns["ingest_seq"].append(seq)
    return pa.table(columns, schema=_SCHEMA)


def _changed_seqs(engine: Engine, batch: pa.Table) -> pa.Array:
    """The ingest_seqs of the batch rows to store: one query that looks up the stored versions of the
    batch's external_ids (index scans on raw_events.external_id) and compares each batch row with
    the version it follows in staging's order."""
    external_ids = pc.unique(batch.column("external_id").drop_null()).to_pylist()
    lookups = []
    for i in range(0, len(external_ids), _LOOKUP_CHUNK):
        chunk = external_ids[i : i + _LOOKUP_CHUNK]
        marks = ", ".join("?" * len(chunk))
        lookups.append(f"SELECT {_VERSION_COLUMNS} FROM {RAW_TABLE} WHERE external_id IN ({marks})")
    stored = " UNION ALL ".join(lookups) or f"SELECT {_VERSION_COLUMNS} FROM {RAW_TABLE} WHERE false"
    sql = _CHANGED.format(stored=stored)
    return engine.query(sql, external_ids or None).column("ingest_seq").combine_chunks()


_VERSION_COLUMNS = (
    "source, entity, coalesce(external_id, payload_hash) AS ident, payload_hash, source_updated_at, ingest_seq"
)

# A batch row is stored unless the version it follows (stored, or earlier in the batch) in staging's
# order has the same payload hash. Staging takes the last of (source_updated_at NULLS FIRST, ingest_seq);
# batch rows carry ingest_seqs above every stored one. A dropped row had the same hash as the row
# before it, so comparing with the immediate predecessor, dropped or not, gives the same answer.
_CHANGED = """
WITH versions AS (
    SELECT *, false AS incoming FROM ({stored})
    UNION ALL
    SELECT {columns}, true FROM __raw_batch
)
SELECT ingest_seq FROM (
    SELECT ingest_seq, incoming, payload_hash IS DISTINCT FROM lag(payload_hash) OVER (
        PARTITION BY source, entity, ident ORDER BY source_updated_at ASC NULLS FIRST, ingest_seq
    ) AS is_change
    FROM versions
)
WHERE incoming AND is_change
ORDER BY ingest_seq
""".replace("{columns}", _VERSION_COLUMNS)


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
    """Append records to the raw layer as new versions, except those equal to the version they would
    follow (unchanged data stores nothing; stored rows are never changed)."""
    ensure_raw_table(engine)
    stats = IngestStats()
    seq = _next_seq(engine)
    for batch in _batches(records, batch_size):
        table = _batch_table(batch, seq, datetime.now(UTC))
        seq += table.num_rows
        engine.register("__raw_batch", table)
        try:
            changed = _changed_seqs(engine, table)
        finally:
            engine.unregister("__raw_batch")
        inserted = 0
        if len(changed):
            new_rows = table.filter(pc.is_in(table.column("ingest_seq"), value_set=changed))
            engine.register("__raw_batch", new_rows)
            try:
                inserted = engine.query(
                    f"INSERT OR IGNORE INTO {RAW_TABLE} ({', '.join(_COLUMNS)}) SELECT * FROM __raw_batch"
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
