"""Resource samples per service over a window: the samples in time order and their summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from growthos.sources.telemetry.resources import RESOURCE_SAMPLE
from growthos.warehouse.engine import Engine

MAX_SERVICES = 50

_SAMPLES_SQL = f"""
SELECT service, "timestamp", instance_count, cpu_percent, memory_percent, connections
FROM {RESOURCE_SAMPLE.table}
WHERE "timestamp" >= $since AND "timestamp" < $until
  AND service IN (
      SELECT service FROM {RESOURCE_SAMPLE.table} WHERE "timestamp" >= $since AND "timestamp" < $until
      GROUP BY service ORDER BY count(*) DESC, service LIMIT {MAX_SERVICES}
  )
ORDER BY service, "timestamp"
"""


def samples_by_service(engine: Engine, since: datetime, until: datetime) -> dict[str, list[dict[str, Any]]]:
    """Each service's samples in [since, until), oldest first (the MAX_SERVICES with most samples)."""
    if not engine.table_exists(RESOURCE_SAMPLE.table):
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for row in engine.query(_SAMPLES_SQL, {"since": since, "until": until}).to_pylist():
        out.setdefault(row.pop("service"), []).append(row)
    return out


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Latest values, and mean and peak of CPU, memory, connections and instances over the samples."""
    out: dict[str, Any] = {"samples": len(samples), "latest": samples[-1] if samples else None}
    for column in ("cpu_percent", "memory_percent", "connections", "instance_count"):
        values = [float(s[column]) for s in samples if s[column] is not None]
        out[column] = {"mean": _mean(values), "peak": max(values) if values else None}
    return out
