"""AI / LLM calls made by an app: latency, tokens, cost, cache hits and errors."""

from __future__ import annotations

from growthos.sources.telemetry.records import TIMESTAMP, Field, RecordKind

AI_CALL = RecordKind(
    name="ai_call",
    table="telemetry_ai_calls",
    description="One LLM call (or a cache hit answering one).",
    fields=(
        Field("model", "string", required=True, max_length=128, description="e.g. gpt-4o-mini."),
        Field("provider", "string", max_length=64, description="e.g. openai, anthropic."),
        Field("endpoint", "string", max_length=256, description="The app's feature or route that made the call."),
        Field("latency_ms", "float", required=True, minimum=0, maximum=3_600_000),
        Field("tokens_in", "int", minimum=0, maximum=10_000_000, default=0),
        Field("tokens_out", "int", minimum=0, maximum=10_000_000, default=0),
        Field("cost_usd", "float", minimum=0, maximum=1_000_000, description="From the client's price table."),
        Field("cache_hit", "bool", default=False),
        Field("status", "string", choices=("ok", "error"), default="ok"),
        Field("error_type", "string", max_length=128, description="e.g. RateLimitError, Timeout."),
        Field("user_id", "string", max_length=256),
        Field("trace_id", "string", max_length=64),
        Field("span_id", "string", max_length=32),
        TIMESTAMP,
    ),
)
