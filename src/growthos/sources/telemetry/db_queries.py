"""Database queries of an app: fingerprint, duration, rows, cache use."""

from __future__ import annotations

from growthos.sources.telemetry.records import TIMESTAMP, Field, RecordKind

DB_QUERY = RecordKind(
    name="db_query",
    table="telemetry_db_queries",
    description="One database query (or a result-cache hit answering one).",
    fields=(
        Field("fingerprint", "string", required=True, max_length=4000,
              description="The statement with its literals replaced by ?."),
        Field("duration_ms", "float", required=True, minimum=0, maximum=86_400_000),
        Field("rows", "int", minimum=0),
        Field("cached", "bool", default=False, description="Answered from the result cache."),
        Field("slow", "bool", description="Over the client's slow-query threshold."),
        Field("system", "string", max_length=64, description="postgresql, sqlite, mysql..."),
        Field("operation", "string", max_length=32, description="SELECT, INSERT, UPDATE..."),
        Field("error_type", "string", max_length=128),
        Field("endpoint", "string", max_length=256, description="The app's route or job that ran it."),
        Field("trace_id", "string", max_length=64),
        Field("span_id", "string", max_length=32),
        TIMESTAMP,
    ),
)
