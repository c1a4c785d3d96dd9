"""The conversions to attribute: every occurrence of a track event (default ``Subscription Started``, or
``Signed Up`` to attribute users) in the range, with its value from a property.

By default the value is the first numeric one of the properties ``revenue``, ``value``, ``mrr`` and ``price``
(the demo app sends ``mrr`` with ``Subscription Started``); a conversion without any is worth 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from growthos.metrics.product.common import property_path
from growthos.warehouse.engine import Engine

DEFAULT_CONVERSION = "Subscription Started"
DEFAULT_VALUE_PROPERTIES = ("revenue", "value", "mrr", "price")


@dataclass(frozen=True)
class Conversion:
    person_id: str
    at: datetime
    value: float


_CONVERSIONS_SQL = """
SELECT person_id, "timestamp" AS at,
       coalesce(try_cast(properties ->> $v0 AS DOUBLE), try_cast(properties ->> $v1 AS DOUBLE),
                try_cast(properties ->> $v2 AS DOUBLE), try_cast(properties ->> $v3 AS DOUBLE), 0) AS value
FROM events_people
WHERE type = 'track' AND event = $event AND "timestamp" >= $lo AND "timestamp" < $hi
ORDER BY person_id, "timestamp", ingest_seq
"""


def value_paths(value_property: str | None) -> list[str]:
    """The four JSON paths tried in order for the value (one property repeated when it is named)."""
    if value_property is not None:
        return [property_path(value_property, "value_property")] * 4
    return [property_path(name, "value_property") for name in DEFAULT_VALUE_PROPERTIES]


def conversions(engine: Engine, event: str, lo: datetime, hi: datetime, value_property: str | None = None
                ) -> list[Conversion]:
    """The event's occurrences in [lo, hi), by person then time."""
    paths = value_paths(value_property)
    params = {"event": event, "lo": lo, "hi": hi, **{f"v{i}": p for i, p in enumerate(paths)}}
    return [Conversion(r["person_id"], r["at"], float(r["value"]))
            for r in engine.query(_CONVERSIONS_SQL, params).to_pylist()]
