"""Telemetry records: each kind (a Core Web Vitals sample, an AI call, a database query, a resource sample)
declares its fields once; the declaration checks incoming JSON, names the warehouse table and its columns,
and turns a batch into an Arrow table.

A POST body is one record (a JSON object), a list of them, or ``{"records": [...]}``. Every record is checked
before any is stored: a bad one fails the whole batch with an error naming ``records[i].field`` and the
reason, so a client can fix and resend without duplicates. ``timestamp`` (ISO 8601 or epoch milliseconds)
defaults to the time of receipt; ``received_at`` is always the server's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from growthos.core.errors import InvalidInput

MAX_RECORDS = 1000
"""Records in one POST."""
MAX_BODY_BYTES = 1_000_000
"""Bytes in one POST body."""
FUTURE_TOLERANCE = timedelta(hours=1)
"""How far in the future a client's timestamp may be (clock skew); later ones are refused."""

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
_SQL_TYPES = {"string": "VARCHAR", "float": "DOUBLE", "int": "BIGINT", "bool": "BOOLEAN", "timestamp": "TIMESTAMPTZ"}


@dataclass(frozen=True)
class Field:
    """One field of a record: its JSON name (also the column), type and limits."""

    name: str
    type: str
    """string, float, int, bool or timestamp."""
    required: bool = False
    description: str = ""
    max_length: int = 256
    """Strings: at most this many characters (longer ones are refused, not cut)."""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    """Strings: the allowed values."""
    default: Any = None


@dataclass(frozen=True)
class RecordKind:
    """A kind of telemetry record and where it is stored."""

    name: str
    """As the API names it, e.g. ``web_vital``."""
    table: str
    """The warehouse table, e.g. ``telemetry_web_vitals``."""
    fields: tuple[Field, ...]
    description: str = ""
    enrich: Callable[[dict[str, Any], Mapping[str, str]], None] | None = None
    """Fills fields from the request context (e.g. ``user_agent`` from its header) before the checks."""
    columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names) or "received_at" in names:
            raise ValueError(f"{self.name}: duplicate or reserved field names")
        object.__setattr__(self, "columns", (*names, "received_at"))

    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(f.name, _ARROW_TYPES[f.type], nullable=not f.required) for f in self.fields]
                         + [pa.field("received_at", _ARROW_TYPES["timestamp"], nullable=False)])

    def ddl(self) -> str:
        """CREATE TABLE IF NOT EXISTS for this kind (names and types come from code, never from input)."""
        columns = [f'"{f.name}" {_SQL_TYPES[f.type]}{" NOT NULL" if f.required else ""}' for f in self.fields]
        columns.append('"received_at" TIMESTAMPTZ NOT NULL')
        return f"CREATE TABLE IF NOT EXISTS {self.table} ({', '.join(columns)})"

    def parse(self, body: Any, *, received_at: datetime, context: Mapping[str, str] | None = None) -> pa.Table:
        """Check a decoded JSON body (one record, a list, or {"records": [...]}) and return its rows."""
        items = _records(body)
        rows: dict[str, list[Any]] = {f.name: [] for f in self.fields}
        for i, item in enumerate(items):
            where = f"records[{i}]"
            if not isinstance(item, dict):
                raise InvalidInput("each record must be a JSON object", field=where)
            record = dict(item)
            if self.enrich is not None:
                self.enrich(record, context or {})
            unknown = sorted(set(record) - set(rows))
            if unknown:
                raise InvalidInput(f"unknown field {unknown[0]!r} (fields: {', '.join(rows)})",
                                   field=f"{where}.{unknown[0]}")
            for f in self.fields:
                rows[f.name].append(_check(f, record.get(f.name), f"{where}.{f.name}", received_at))
        rows["received_at"] = [received_at] * len(items)
        return pa.table(rows, schema=self.schema())


def _records(body: Any) -> list[Any]:
    if isinstance(body, dict) and "records" in body:
        if set(body) != {"records"}:
            raise InvalidInput("a body with records holds nothing else", field="body")
        body = body["records"]
        if not isinstance(body, list):
            raise InvalidInput("records must be a list", field="records")
    items = body if isinstance(body, list) else [body]
    if not items:
        raise InvalidInput("no records", field="records")
    if len(items) > MAX_RECORDS:
        raise InvalidInput(f"{len(items)} records; at most {MAX_RECORDS} per request", field="records")
    return items


def _check(f: Field, value: Any, where: str, received_at: datetime) -> Any:
    if value is None:
        if f.type == "timestamp" and f.name == "timestamp":
            return received_at
        if f.required:
            raise InvalidInput(f"{f.name} is required", field=where)
        return f.default
    return _CHECKS[f.type](f, value, where, received_at)


def _string(f: Field, value: Any, where: str, _now: datetime) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{f.name} must be a string", field=where)
    if f.required and not value.strip():
        raise InvalidInput(f"{f.name} must not be empty", field=where)
    if len(value) > f.max_length:
        raise InvalidInput(f"{f.name} is {len(value)} characters; at most {f.max_length}", field=where)
    if f.choices is not None and value not in f.choices:
        raise InvalidInput(f"{f.name} must be one of {', '.join(f.choices)}; got {value!r}", field=where)
    return value


def _number(f: Field, value: Any, where: str, _now: datetime) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{f.name} must be a number", field=where)
    if not math.isfinite(value):
        raise InvalidInput(f"{f.name} must be finite", field=where)
    if f.type == "int":
        if float(value) != int(value):
            raise InvalidInput(f"{f.name} must be a whole number", field=where)
        value = int(value)
    if f.minimum is not None and value < f.minimum:
        raise InvalidInput(f"{f.name} must be at least {f.minimum:g}; got {value}", field=where)
    if f.maximum is not None and value > f.maximum:
        raise InvalidInput(f"{f.name} must be at most {f.maximum:g}; got {value}", field=where)
    return float(value) if f.type == "float" else value


def _bool(f: Field, value: Any, where: str, _now: datetime) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{f.name} must be true or false", field=where)
    return value


def _timestamp(f: Field, value: Any, where: str, received_at: datetime) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        try:
            moment = datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise InvalidInput(f"{f.name} is out of range", field=where) from None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{f.name} must be ISO 8601 or epoch milliseconds; got {value[:40]!r}",
                               field=where) from None
        if moment.tzinfo is None:
            raise InvalidInput(f"{f.name} needs a time zone offset (e.g. Z)", field=where)
    else:
        raise InvalidInput(f"{f.name} must be ISO 8601 or epoch milliseconds", field=where)
    moment = moment.astimezone(UTC)
    if moment > received_at + FUTURE_TOLERANCE:
        raise InvalidInput(f"{f.name} {moment.isoformat()} is in the future", field=where)
    if moment.year < 2000:
        raise InvalidInput(f"{f.name} {moment.isoformat()} is before 2000", field=where)
    return moment


_CHECKS: dict[str, Callable[[Field, Any, str, datetime], Any]] = {
    "string": _string, "float": _number, "int": _number, "bool": _bool, "timestamp": _timestamp,
}


def decode(raw: bytes) -> Any:
    """A POST body as JSON (any content type: sendBeacon posts text/plain); InvalidInput when it is not."""
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput(f"body is {len(raw)} bytes; at most {MAX_BODY_BYTES}", field="body")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}", field="body") from None
    except RecursionError:
        raise InvalidInput("body is nested too deeply", field="body") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


TIMESTAMP = Field("timestamp", "timestamp", description="When it happened (default: when received).")
"""Every kind's time field."""
