"""The event collector: Segment-compatible ingestion and GrowthOS app events into the warehouse.

What the HTTP layer calls, per request::

    body = decode_body(raw, request.headers.get("content-encoding"), limit=options.max_batch_bytes)
    parsed = parse_segment(path_type, body, received_at=datetime.now(UTC), options=options,
                           client_ip=request.client.host)      # InvalidInput 422 / PayloadTooLarge 413
    authenticate(parsed.write_key or basic_auth_user)          # the layer's job
    await writer.append_async(parsed.events)                   # resumes once durable in the journal
    return 200, {"success": True}                              # Segment SDKs only look at the status

    event = parse_app_event(body, received_at=..., options=options)   # POST /api/analytics/events
    result = writer.submit([event])                            # returns once in the warehouse

and once per process::

    writer = EventWriter(engine, options, journal_dir=data_dir / "collector-journal").start()
    writer.flush()                          # before a read that must see every acknowledged event
    writer.close()                          # loads what is journaled, stops the loader

Errors (all carry ``status``; the retryable ones ``retry_after``): ``InvalidInput`` 422 naming the
field (``batch[3].event``), ``PayloadTooLarge`` 413, ``Overloaded`` 429 (backlog full),
``WriteTimeout`` / ``WriteFailed`` / ``WriterClosed`` 503. Segment SDKs retry 5xx and 429 and drop
other 4xx answers.

Modules, one job each: ``segment`` (Segment messages), ``app_events`` (the app shape), ``timestamps``
(ISO 8601, skew correction), ``message_id`` (ids for messages without one), ``body`` (gzip, JSON),
``event`` (the Event record), ``schema`` (tables, view, compaction), ``identity`` (union–find of ids
into people), ``people`` (reads by person), ``journal`` (the durable log acknowledgements wait for),
``payload`` (how a batch is encoded in the journal, and decoded by DuckDB), ``writer``
(acknowledgements: journal writes with group commit), ``loader`` (the thread that moves the journal
into the warehouse), ``options``, ``errors``.

Tables: ``events`` (one row per message, unique on ``message_key`` = BLAKE2b-128 of ``message_id``;
clustered by ``distinct_id`` — see schema.py), ``identity_map`` (id → person_id, see identity.py),
``collector_journal`` (the journal position loaded) and the view ``events_people`` (events with
``person_id``). ``EventWriter.compact()`` re-sorts ``events`` (2.4 s at 1M rows, loading waits
meanwhile): schedule it off-peak.

Throughput: see bench/RESULTS.md (bench/collector.py: 4 client processes posting batches of 100
analytics.js-like messages over HTTP to the real server on this 2-core machine, beside a
parse-and-discard copy of the route).
"""

from growthos.sources.collector.app_events import parse_app_event
from growthos.sources.collector.body import decode_body
from growthos.sources.collector.errors import Overloaded, PayloadTooLarge, WriteFailed, WriterClosed, WriteTimeout
from growthos.sources.collector.event import Event
from growthos.sources.collector.identity import apply_identities
from growthos.sources.collector.options import CollectorOptions
from growthos.sources.collector.people import count_people, ids_of, person_events, person_of
from growthos.sources.collector.schema import compact_events, ensure_events_tables
from growthos.sources.collector.segment import ParsedRequest, parse_segment
from growthos.sources.collector.writer import EventWriter, WriteResult, WriterStats

__all__ = [
    "CollectorOptions",
    "Event",
    "EventWriter",
    "Overloaded",
    "ParsedRequest",
    "PayloadTooLarge",
    "WriteFailed",
    "WriteResult",
    "WriteTimeout",
    "WriterClosed",
    "WriterStats",
    "apply_identities",
    "compact_events",
    "count_people",
    "decode_body",
    "ensure_events_tables",
    "ids_of",
    "parse_app_event",
    "parse_segment",
    "person_events",
    "person_of",
]
