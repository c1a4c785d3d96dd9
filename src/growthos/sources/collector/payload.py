"""The collector journal's payload: one batch of event rows as compressed JSON, cheap to write on the
request path, turned into Arrow columns by DuckDB in the loader.

A payload (journal.py frames it) is ``<u32 length of the JSON><zstd-compressed JSON>``; the JSON is an
object holding one array per column of ``EVENT_COLUMNS`` (event.py, without ``ingest_seq``), each
with one value per event: ``message_key`` as 32 hex digits, times as ISO 8601 in UTC (``...+00:00``),
the JSON columns (``properties``, ``context``, ``traits``, ``extra``) as JSON strings holding the text
to store (stored byte for byte as the parser wrote it), the rest strings or null.

Why JSON and not Arrow: the request path pays one orjson call and one zstd call per batch (~70 +
~60 µs for 100 analytics.js-like events; zstd shrinks the durable write ~15x) where building Arrow
columns from Python values and serialising them cost ~300 µs, on the event loop; the loader decodes a
whole load at once in DuckDB (``from_json`` into typed columns, 2-3 µs per event, outside the GIL).
Column arrays rather than one array per event: DuckDB decodes them ~30% faster.

What is encoded must decode: the parser's rows (``EventBatch``, segment.py) are valid by construction;
rows of ``Event`` objects built by code are checked first (:func:`check_rows`), because a frame the loader
cannot decode would stop it for good (acknowledged events are never dropped). Frames written by the
collector's first journal format (one Arrow IPC record-batch message each) are still read.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import orjson
import pyarrow as pa

from growthos.core.errors import InvalidInput
from growthos.sources.collector.arrow_view import registered
from growthos.sources.collector.event import EVENT_COLUMNS
from growthos.sources.collector.schema import ARROW_SCHEMA
from growthos.warehouse.engine import Engine

JSON_COLUMNS = frozenset({"properties", "context", "traits", "extra"})
TIME_COLUMNS = frozenset({"timestamp", "original_timestamp", "sent_at", "received_at"})
REQUIRED = frozenset({"message_key", "message_id", "type", "distinct_id", "timestamp", "received_at", "source"})
"""The NOT NULL columns."""
# DuckDB takes columns typed as Arrow's JSON extension type as JSON without parsing them again (they
# were written by orjson or json); a VARCHAR cast to JSON is parsed (~10 µs per event here).
BATCH_SCHEMA = pa.schema([pa.field(f.name, pa.json_()) if f.name in JSON_COLUMNS else f for f in ARROW_SCHEMA])
ROWS_SCHEMA = BATCH_SCHEMA.remove(BATCH_SCHEMA.get_field_index("ingest_seq"))
"""A payload's columns, decoded: the events' rows without ``ingest_seq`` (assigned at load)."""

_DUMPS = orjson.dumps
_OPTIONS = orjson.OPT_NAIVE_UTC  # rows hold naive UTC times: written with +00:00
_LENGTH = struct.Struct("<I")
_CODEC = "zstd"
_ARROW_IPC = b"\xff\xff\xff\xff"  # how an Arrow IPC message starts (the first format's payloads)
_FRAMES_VIEW = "__collector_frames"
_FRAME_SCHEMA = pa.schema([("frame", pa.int32()), ("payload", pa.large_string())])
_JSON_AT = [i for i, name in enumerate(ROWS_SCHEMA.names) if name in JSON_COLUMNS]

assert EVENT_COLUMNS == tuple(ROWS_SCHEMA.names)
_TYPES = "{" + ", ".join(f'"{c}": ["{"TIMESTAMPTZ" if c in TIME_COLUMNS else "VARCHAR"}"]' for c in EVENT_COLUMNS) + "}"
_DECODE = (
    "SELECT frame, "
    + ", ".join(f'unhex(unnest(c."{n}")) AS "{n}"' if n == "message_key" else f'unnest(c."{n}") AS "{n}"'
                for n in EVENT_COLUMNS)
    + f" FROM (SELECT frame, from_json(payload, '{_TYPES}') AS c FROM {_FRAMES_VIEW})"
)


def encode(rows: Sequence[tuple]) -> bytes:
    """The payload of ``rows`` (at least one; ``Event.to_row`` values; ``TypeError`` for a value JSON
    cannot hold)."""
    text = _DUMPS(dict(zip(EVENT_COLUMNS, zip(*rows, strict=True), strict=True)), option=_OPTIONS)
    return _LENGTH.pack(len(text)) + pa.compress(text, codec=_CODEC, asbytes=True)


def _text(payload: bytes | memoryview) -> bytes:
    (length,) = _LENGTH.unpack_from(payload)
    return pa.decompress(memoryview(payload)[_LENGTH.size:], decompressed_size=length, codec=_CODEC, asbytes=True)


_KINDS = tuple("time" if c in TIME_COLUMNS else "key" if c == "message_key" else "text" for c in EVENT_COLUMNS)
_REQUIRED_AT = frozenset(i for i, c in enumerate(EVENT_COLUMNS) if c in REQUIRED)


def check_rows(rows: Sequence[tuple]) -> None:
    """Refuse (``InvalidInput``) rows the loader could not decode: a required value missing, a value
    of the wrong type. For rows built from ``Event`` objects; the parser's rows are valid by construction."""
    for n, row in enumerate(rows):
        if len(row) != len(EVENT_COLUMNS):
            raise InvalidInput(f"events[{n}] has {len(row)} values, not {len(EVENT_COLUMNS)}", field=f"events[{n}]")
        for i, (value, kind) in enumerate(zip(row, _KINDS, strict=True)):
            name = EVENT_COLUMNS[i]
            if value is None:
                if i in _REQUIRED_AT:
                    raise InvalidInput(f"events[{n}].{name} is required", field=f"events[{n}].{name}")
            elif not (type(value) is datetime and value.tzinfo is None if kind == "time" else
                      isinstance(value, str) and (kind == "text" or len(value) == 32)):
                raise InvalidInput(f"events[{n}].{name} cannot be stored: {type(value).__name__}",
                                   field=f"events[{n}].{name}")


def decode(engine: Engine, payloads: Sequence[bytes | memoryview]) -> tuple[pa.Table, np.ndarray]:
    """The rows of ``payloads`` (a load's frames, in order) as one table of ROWS_SCHEMA, and the
    number of rows of each payload. DuckDB does the work (``engine`` must be DuckDB)."""
    if any(bytes(p[:4]) == _ARROW_IPC for p in payloads):
        return _decode_each(engine, payloads)
    texts = [_text(p) for p in payloads]
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)  # one copy, no UTF-8 check (pa.array: ~30x slower)
    np.cumsum([len(t) for t in texts], out=offsets[1:])
    text = pa.Array.from_buffers(pa.large_string(), len(texts),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(texts))])
    frames = pa.Table.from_arrays([pa.array(np.arange(len(texts), dtype=np.int32)), text], schema=_FRAME_SCHEMA)
    with registered(engine, _FRAMES_VIEW, frames):
        decoded = engine.query(_DECODE)
    frame_of = decoded.column("frame").to_numpy()
    if len(frame_of) and (np.diff(frame_of) < 0).any():  # DuckDB keeps the order; should it not, sort (stable)
        decoded = decoded.take(np.argsort(frame_of, kind="stable"))
        frame_of = decoded.column("frame").to_numpy()
    columns = decoded.columns[1:]
    for i in _JSON_AT:  # zero-copy: the same strings, typed as JSON
        column = columns[i]
        columns[i] = pa.chunked_array([pa.ExtensionArray.from_storage(pa.json_(), c) for c in column.chunks],
                                      pa.json_())
    table = pa.Table.from_arrays(columns, names=ROWS_SCHEMA.names)
    if table.schema != ROWS_SCHEMA:  # the timestamps' zone label (the connection's time zone)
        table = table.cast(ROWS_SCHEMA)
    return table, np.bincount(frame_of, minlength=len(payloads))


def _decode_each(engine: Engine, payloads: Sequence[bytes | memoryview]) -> tuple[pa.Table, np.ndarray]:
    """:func:`decode` of a load holding frames of the first format (Arrow IPC), one frame at a time."""
    tables = []
    for payload in payloads:
        if bytes(payload[:4]) == _ARROW_IPC:
            batch = pa.ipc.read_record_batch(pa.py_buffer(payload), ROWS_SCHEMA)
            tables.append(pa.Table.from_batches([batch], schema=ROWS_SCHEMA))
        else:
            tables.append(decode(engine, [payload])[0])
    return pa.concat_tables(tables), np.array([t.num_rows for t in tables])
