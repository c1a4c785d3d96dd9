"""Segment HTTP Tracking API messages → :class:`Event`.

Paths: ``track identify page screen group alias batch`` (``import`` is Segment's alias of ``batch``),
and analytics.js's one-letter forms ``t i p s g a b``. A batch holds messages of any type; its own
``context`` and ``integrations`` apply to every message (the message's keys win) and its ``sentAt``
stands in for messages without one. Other batch-level keys are ignored.

Checks (``InvalidInput`` naming the field, ``batch[3].event`` inside a batch; a failing message
fails the whole request, nothing of it is stored):

- every message: ``userId`` or ``anonymousId`` (a string, or an integer taken as its decimal text);
- track: ``event``; group: ``groupId``; alias: ``previousId`` and ``userId``;
- ``properties``, ``traits``, ``context``, ``integrations``: JSON objects; times: ISO 8601;
- sizes (``PayloadTooLarge``, 413): a single message's body ≤ 32 KB; a batch body ≤ 500 KB and
  ≤ 2,500 messages, each message ≤ 32 KB as compact JSON.

Fields: ``messageId userId anonymousId event name groupId previousId properties context traits``
and the times get columns; every other field (``integrations``, a page's ``category``, ``channel``,
``_metadata``, anything unknown) is kept verbatim in ``extra``. ``writeKey`` is returned in
:class:`ParsedRequest` for the HTTP layer to authenticate and never stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from growthos.core.errors import InvalidInput
from growthos.sources.collector.body import load_json
from growthos.sources.collector.errors import PayloadTooLarge
from growthos.sources.collector.event import SEGMENT_TYPES, Event
from growthos.sources.collector.message_id import derive_message_id
from growthos.sources.collector.options import CollectorOptions
from growthos.sources.collector.timestamps import resolve_times

PATH_TYPES: dict[str, str] = {
    **{t: t for t in SEGMENT_TYPES},
    **{t[0]: t for t in SEGMENT_TYPES},
    "batch": "batch", "b": "batch", "import": "batch",
}

_COLUMNS_ALWAYS = frozenset({
    "type", "messageId", "userId", "anonymousId", "timestamp", "originalTimestamp", "sentAt", "writeKey",
    "properties", "context", "traits", "integrations",
})
_COLUMNS_BY_TYPE: dict[str, frozenset[str]] = {
    "track": frozenset({"event"}),
    "page": frozenset({"name"}),
    "screen": frozenset({"name"}),
    "group": frozenset({"groupId"}),
    "alias": frozenset({"previousId"}),
    "identify": frozenset(),
}
_DEFAULT_OPTIONS = CollectorOptions()


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    write_key: str | None
    """The ``writeKey`` given in the body (the HTTP layer also accepts it as the Basic-auth user name)."""
    events: list[Event] = field(default_factory=list)


def compact_size(value: Any, field_name: str) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (how message sizes are measured)."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return len(text.encode("utf-8"))
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise InvalidInput(f"{field_name} cannot be stored as JSON: {exc}", field=field_name) from None


def parse_segment(path_type: str, body: bytes | str | dict[str, Any], *, received_at: datetime,
                  options: CollectorOptions = _DEFAULT_OPTIONS, client_ip: str | None = None) -> ParsedRequest:
    """Validate one request to ``/v1/<path_type>`` and turn its messages into events.

    ``body`` is the (already decompressed, see :func:`~growthos.sources.collector.body.decode_body`)
    request body, or its parsed JSON. ``client_ip`` fills ``context.ip`` where the client sent none,
    as Segment does."""
    kind = PATH_TYPES.get(path_type.strip("/").lower())
    if kind is None:
        known = ", ".join(sorted(PATH_TYPES))
        raise InvalidInput(f"unknown message type {path_type!r} (known: {known})", field="type")
    limit = options.max_batch_bytes if kind == "batch" else options.max_message_bytes
    if isinstance(body, bytes | bytearray | str):
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        payload, size = None, len(raw)
    else:
        payload, size = body, compact_size(body, "body")
    if size > limit:
        what = "batch" if kind == "batch" else "message"
        raise PayloadTooLarge(f"{what} is {size} bytes; the limit is {limit}", field="body")
    if payload is None:
        payload = load_json(body)
    if not isinstance(payload, dict):
        raise InvalidInput("body must be a JSON object", field="body")

    if kind != "batch":
        compact_size(payload, "body")  # refuses text that cannot be stored (lone surrogates)
        event = parse_message(payload, kind, prefix="", received_at=received_at, position=0, client_ip=client_ip)
        return ParsedRequest(_write_key([payload]), [event])

    messages = payload.get("batch")
    if not isinstance(messages, list):
        raise InvalidInput("batch must be a list of messages", field="batch")
    if len(messages) > options.max_batch_messages:
        raise PayloadTooLarge(
            f"batch holds {len(messages)} messages; the limit is {options.max_batch_messages}", field="batch"
        )
    batch_context = _object(payload, "context", "")
    batch_integrations = _object(payload, "integrations", "")
    events = []
    for i, message in enumerate(messages):
        prefix = f"batch[{i}]."
        if not isinstance(message, dict):
            raise InvalidInput("each batch entry must be a JSON object", field=f"batch[{i}]")
        size = compact_size(message, f"batch[{i}]")
        if size > options.max_message_bytes:
            raise PayloadTooLarge(
                f"message is {size} bytes; the limit is {options.max_message_bytes}", field=f"batch[{i}]"
            )
        type_ = message.get("type")
        if type_ not in SEGMENT_TYPES:
            raise InvalidInput(f"type must be one of {', '.join(SEGMENT_TYPES)}", field=f"{prefix}type")
        events.append(parse_message(
            message, type_, prefix=prefix, received_at=received_at, position=i, client_ip=client_ip,
            batch_context=batch_context, batch_integrations=batch_integrations,
            batch_sent_at=payload.get("sentAt"),
        ))
    return ParsedRequest(_write_key([payload, *messages]), events)


def parse_message(message: dict[str, Any], type_: str, *, prefix: str, received_at: datetime, position: int,
                   client_ip: str | None, batch_context: dict[str, Any] | None = None,
                   batch_integrations: dict[str, Any] | None = None, batch_sent_at: Any = None) -> Event:
    user_id = _id(message, "userId", prefix)
    anonymous_id = _id(message, "anonymousId", prefix)
    previous_id = group_id = event_name = name = None
    if type_ == "alias":
        previous_id = _required_id(message, "previousId", prefix)
        if user_id is None:
            raise InvalidInput("alias needs userId (the new id) and previousId", field=f"{prefix}userId")
    elif user_id is None and anonymous_id is None:
        raise InvalidInput("userId or anonymousId is required", field=f"{prefix}userId")
    if type_ == "track":
        event_name = message.get("event")
        if not isinstance(event_name, str) or not event_name.strip():
            raise InvalidInput("track needs an event name", field=f"{prefix}event")
    elif type_ == "group":
        group_id = _required_id(message, "groupId", prefix)
    elif type_ in ("page", "screen"):
        name = message.get("name")
        if name is not None and not isinstance(name, str):
            raise InvalidInput("name must be a string", field=f"{prefix}name")

    properties = _object(message, "properties", prefix)
    traits = _object(message, "traits", prefix)
    context = _merged(batch_context, _object(message, "context", prefix))
    if client_ip and "ip" not in (context or {}):
        context = {**(context or {}), "ip": client_ip}
    integrations = _merged(batch_integrations, _object(message, "integrations", prefix))

    known = _COLUMNS_ALWAYS | _COLUMNS_BY_TYPE[type_]
    extra = {k: v for k, v in message.items() if k not in known}
    if integrations is not None:
        extra["integrations"] = integrations

    times = resolve_times(message, received_at=received_at, default_sent_at=batch_sent_at, prefix=prefix)
    message_id = _id(message, "messageId", prefix) or derive_message_id(
        message, type_=type_, client_time_given=times.client_time_given, received_at=times.received_at,
        position=position,
    )
    return Event(
        message_id=message_id, type=type_, timestamp=times.timestamp, received_at=times.received_at,
        user_id=user_id, anonymous_id=anonymous_id, event=event_name, name=name, group_id=group_id,
        previous_id=previous_id, original_timestamp=times.original_timestamp, sent_at=times.sent_at,
        properties=properties, context=context, traits=traits, extra=extra or None, source="segment",
    )


def _id(message: dict[str, Any], key: str, prefix: str) -> str | None:
    """An identifier: a non-empty string, or an integer as its decimal text; missing or "" → None."""
    value = message.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"{key} must be a string", field=f"{prefix}{key}")
    return str(value)


def _required_id(message: dict[str, Any], key: str, prefix: str) -> str:
    value = _id(message, key, prefix)
    if value is None:
        raise InvalidInput(f"{key} is required", field=f"{prefix}{key}")
    return value


def _object(message: dict[str, Any], key: str, prefix: str) -> dict[str, Any] | None:
    value = message.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"{key} must be a JSON object", field=f"{prefix}{key}")
    return value


def _merged(defaults: dict[str, Any] | None, own: dict[str, Any] | None) -> dict[str, Any] | None:
    if not defaults:
        return own
    return {**defaults, **(own or {})}


def _write_key(holders: list[Any]) -> str | None:
    keys = set()
    for holder in holders:
        key = holder.get("writeKey") if isinstance(holder, dict) else None
        if key in (None, ""):
            continue
        if not isinstance(key, str):
            raise InvalidInput("writeKey must be a string", field="writeKey")
        keys.add(key)
    if len(keys) > 1:
        raise InvalidInput("a request may carry only one writeKey", field="writeKey")
    return keys.pop() if keys else None
