"""The performance rules' measures in one dictionary: sample counts and the error rate by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from growthos.metrics.telemetry.headline import telemetry_headline
from growthos.sources.telemetry import KINDS, TelemetryWriter

NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)


def store(engine, kind: str, records: list[dict]) -> None:
    with TelemetryWriter(engine) as writer:
        writer.submit(KINDS[kind], KINDS[kind].parse(records, received_at=NOW))


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).isoformat()


def test_counts_and_error_rate(engine) -> None:
    # in the window: 3 AI calls (1 error), 5 queries (1 error) → 2 / 8 = 25%; 2 LCP and 1 CLS samples
    # outside (30 h ago): one failed call and one LCP, not counted
    store(engine, "ai_call", [{"model": "m", "latency_ms": 100, "timestamp": at(1)},
                              {"model": "m", "latency_ms": 100, "timestamp": at(2)},
                              {"model": "m", "latency_ms": 50, "status": "error", "error_type": "Timeout",
                               "timestamp": at(3)},
                              {"model": "m", "latency_ms": 50, "status": "error", "timestamp": at(30)}])
    store(engine, "db_query", [{"fingerprint": "SELECT ?", "duration_ms": 2, "timestamp": at(1)} for _ in range(4)]
          + [{"fingerprint": "UPDATE t SET a = ?", "duration_ms": 5, "error_type": "DeadlockDetected",
              "timestamp": at(5)}])
    store(engine, "web_vital", [{"name": "LCP", "value": 1000, "route": "/", "timestamp": at(1)},
                                {"name": "LCP", "value": 3000, "route": "/", "timestamp": at(2)},
                                {"name": "CLS", "value": 0.1, "route": "/", "timestamp": at(2)},
                                {"name": "LCP", "value": 9000, "route": "/", "timestamp": at(30)}])
    values = telemetry_headline(engine, NOW - timedelta(hours=24), NOW)
    assert (values["ai_calls"], values["db_queries"], values["operations"]) == (3, 5, 8)
    assert values["error_rate"] == 2 / 8
    assert (values["lcp_samples"], values["cls_samples"], values["inp_samples"]) == (2, 1, 0)
    assert values["lcp_p75_ms"] == 2500.0  # 1000 + 0.75 × (3000 − 1000), linear interpolation
    assert values["inp_p75_ms"] is None


def test_no_telemetry_at_all(engine) -> None:
    values = telemetry_headline(engine, NOW - timedelta(hours=24), NOW)
    assert values["error_rate"] is None and values["operations"] == 0 and values["lcp_p75_ms"] is None
