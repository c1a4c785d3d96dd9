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

Speed: one pass per message that builds its storage row at once (an :class:`EventBatch`, no
``Event`` object), orjson for reading and writing JSON, a batch's ``sentAt`` parsed once. Measured:
see the package docstring.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from growthos.core.errors import InvalidInput
from growthos.sources.collector.body import load_json
from growthos.sources.collector.errors import PayloadTooLarge
from growthos.sources.collector.event import SEGMENT_TYPES, Event, EventBatch
from growthos.sources.collector.message_id import derive_message_id
from growthos.sources.collector.options import CollectorOptions
from growthos.sources.collector.timestamps import check_plausible, client_times, parse_field_naive

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
    "track": _COLUMNS_ALWAYS | {"event"},
    "page": _COLUMNS_ALWAYS | {"name"},
    "screen": _COLUMNS_ALWAYS | {"name"},
    "group": _COLUMNS_ALWAYS | {"groupId"},
    "alias": _COLUMNS_ALWAYS | {"previousId"},
    "identify": _COLUMNS_ALWAYS,
}
_DEFAULT_OPTIONS = CollectorOptions()
_blake2b = hashlib.blake2b
_dumps = orjson.dumps
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    write_key: str | None
    """The ``writeKey`` given in the body (the HTTP layer also accepts it as the Basic-auth user name)."""
    events: EventBatch = field(default_factory=lambda: EventBatch([]))
    """The request's events, in order (a sequence of :class:`Event`)."""


def compact_size(value: Any, field_name: str) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (how message sizes are measured)."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return len(text.encode("utf-8"))
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise InvalidInput(f"{field_name} cannot be stored as JSON: {exc}", field=field_name) from None


def _encoded(value: Any, field_name: str) -> bytes:
    """Compact UTF-8 JSON of a value read from JSON text (so without NaN); orjson, else ``json`` for
    what orjson does not write (integers beyond 64 bits, lone surrogates: refused)."""
    try:
        return _dumps(value)
    except orjson.JSONEncodeError:
        compact_size(value, field_name)  # raises InvalidInput where json cannot either
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


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
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    received_at = received_at.astimezone(UTC).replace(tzinfo=None)  # rows hold naive UTC times
    limit = options.max_batch_bytes if kind == "batch" else options.max_message_bytes
    if isinstance(body, bytes | bytearray | str):
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        payload, size = None, len(raw)
    else:
        payload, size = body, compact_size(body, "body")  # also refuses NaN in a dict built by code
    if size > limit:
        what = "batch" if kind == "batch" else "message"
        raise PayloadTooLarge(f"{what} is {size} bytes; the limit is {limit}", field="body")
    if payload is None:
        payload = load_json(body)
    if not isinstance(payload, dict):
        raise InvalidInput("body must be a JSON object", field="body")

    if kind != "batch":
        _encoded(payload, "body")  # refuses text that cannot be stored (lone surrogates)
        row = _row(payload, kind, "", received_at, 0, client_ip, None, None, None, "sentAt")
        return ParsedRequest(_write_key(payload.get("writeKey"), None), EventBatch([row]))

    messages = payload.get("batch")
    if not isinstance(messages, list):
        raise InvalidInput("batch must be a list of messages", field="batch")
    if len(messages) > options.max_batch_messages:
        raise PayloadTooLarge(
            f"batch holds {len(messages)} messages; the limit is {options.max_batch_messages}", field="batch"
        )
    batch_context = _object(payload, "context", "")
    batch_integrations = _object(payload, "integrations", "")
    batch_sent_value = payload.get("sentAt")
    batch_sent = parse_field_naive(batch_sent_value, "", "sentAt") if batch_sent_value not in (None, "") else None
    write_key = _write_key(payload.get("writeKey"), None)
    max_bytes = options.max_message_bytes
    rows = []
    for i, message in enumerate(messages):
        if type(message) is not dict:
            raise InvalidInput("each batch entry must be a JSON object", field=f"batch[{i}]")
        size = len(_encoded(message, f"batch[{i}]"))
        if size > max_bytes:
            raise PayloadTooLarge(f"message is {size} bytes; the limit is {max_bytes}", field=f"batch[{i}]")
        type_ = message.get("type")
        if type(type_) is not str or type_ not in _COLUMNS_BY_TYPE:
            raise InvalidInput(f"type must be one of {', '.join(SEGMENT_TYPES)}", field=f"batch[{i}].type")
        key = message.get("writeKey")
        if key is not None and key != write_key:
            write_key = _write_key(key, write_key)
        rows.append(_row(message, type_, f"batch[{i}].", received_at, i, client_ip, batch_context,
                         batch_integrations, batch_sent, "sentAt"))
    return ParsedRequest(write_key, EventBatch(rows))


def parse_message(message: dict[str, Any], type_: str, *, prefix: str, received_at: datetime, position: int,
                  client_ip: str | None, batch_context: dict[str, Any] | None = None,
                  batch_integrations: dict[str, Any] | None = None, batch_sent_at: Any = None) -> Event:
    """One message as an :class:`Event` (``batch_sent_at``: the batch's ``sentAt`` text)."""
    received_at = received_at.astimezone(UTC).replace(tzinfo=None)
    batch_sent = parse_field_naive(batch_sent_at, "", "sentAt") if batch_sent_at not in (None, "") else None
    values = _fields(message, type_, prefix, received_at, position, client_ip, batch_context, batch_integrations,
                     batch_sent, "sentAt")
    return Event(*(_aware(v) if type(v) is datetime else v for v in values))


def _row(message: dict[str, Any], type_: str, prefix: str, received_at: datetime, position: int,
         client_ip: str | None, batch_context: dict[str, Any] | None, batch_integrations: dict[str, Any] | None,
         batch_sent: datetime | None, batch_sent_field: str) -> tuple:
    """The storage row of one message (see event.py), JSON columns encoded by orjson; times naive UTC
    like ``received_at`` and ``batch_sent``."""
    (message_id, type_, timestamp, received_at, user_id, anonymous_id, event, name, group_id, previous_id,
     original, sent_at, properties, context, traits, extra) = _fields(
        message, type_, prefix, received_at, position, client_ip, batch_context, batch_integrations,
        batch_sent, batch_sent_field)
    return (
        _blake2b(message_id.encode(), digest_size=16).hexdigest(), message_id, type_, event, name, user_id,
        anonymous_id, user_id or anonymous_id, group_id, previous_id, timestamp, original, sent_at, received_at,
        None if properties is None else _encoded(properties, f"{prefix}properties").decode(),
        None if context is None else _encoded(context, f"{prefix}context").decode(),
        None if traits is None else _encoded(traits, f"{prefix}traits").decode(),
        None if extra is None else _encoded(extra, prefix.rstrip(".") or "body").decode(),
        "segment",
    )


def _fields(message: dict[str, Any], type_: str, prefix: str, received_at: datetime, position: int,
            client_ip: str | None, batch_context: dict[str, Any] | None, batch_integrations: dict[str, Any] | None,
            batch_sent: datetime | None, batch_sent_field: str) -> tuple:
    """Validated values of one message in the order of ``Event``'s fields; ``received_at`` in UTC,
    ``batch_sent`` the batch's parsed ``sentAt``."""
    get = message.get
    user_id = get("userId")
    if type(user_id) is not str or not user_id:
        user_id = _id(user_id, "userId", prefix)
    anonymous_id = get("anonymousId")
    if type(anonymous_id) is not str or not anonymous_id:
        anonymous_id = _id(anonymous_id, "anonymousId", prefix)
    previous_id = group_id = event_name = name = None
    if type_ == "alias":
        previous_id = _id(get("previousId"), "previousId", prefix)
        if previous_id is None:
            raise InvalidInput("previousId is required", field=f"{prefix}previousId")
        if user_id is None:
            raise InvalidInput("alias needs userId (the new id) and previousId", field=f"{prefix}userId")
    elif user_id is None and anonymous_id is None:
        raise InvalidInput("userId or anonymousId is required", field=f"{prefix}userId")
    if type_ == "track":
        event_name = get("event")
        if type(event_name) is not str or not event_name.strip():
            raise InvalidInput("track needs an event name", field=f"{prefix}event")
    elif type_ == "group":
        group_id = _id(get("groupId"), "groupId", prefix)
        if group_id is None:
            raise InvalidInput("groupId is required", field=f"{prefix}groupId")
    elif type_ in ("page", "screen"):
        name = get("name")
        if name is not None and type(name) is not str:
            raise InvalidInput("name must be a string", field=f"{prefix}name")

    properties = get("properties")
    if properties is not None and type(properties) is not dict:
        properties = _object(message, "properties", prefix)
    traits = get("traits")
    if traits is not None and type(traits) is not dict:
        traits = _object(message, "traits", prefix)
    context = get("context")
    if context is not None and type(context) is not dict:
        context = _object(message, "context", prefix)
    if batch_context:
        context = {**batch_context, **(context or {})}
    if client_ip and (context is None or "ip" not in context):
        context = {**(context or {}), "ip": client_ip}
    integrations = get("integrations")
    if integrations is not None and type(integrations) is not dict:
        integrations = _object(message, "integrations", prefix)
    if batch_integrations:
        integrations = {**batch_integrations, **(integrations or {})}

    known = _COLUMNS_BY_TYPE[type_]
    extra = None
    if not known.issuperset(message):
        extra = {k: v for k, v in message.items() if k not in known}
    if integrations is not None:
        extra = extra or {}
        extra["integrations"] = integrations

    given = get("timestamp")
    if given is not None:
        given = parse_field_naive(given, prefix, "timestamp")
    original = get("originalTimestamp")
    if original is not None:
        original = parse_field_naive(original, prefix, "originalTimestamp")
    sent_value = get("sentAt")
    if sent_value is None or sent_value == "":
        sent_at, sent_field = batch_sent, batch_sent_field
    else:
        sent_field = f"{prefix}sentAt"
        sent_at = parse_field_naive(sent_value, prefix, "sentAt")
    timestamp, original = client_times(given, original, sent_at, received_at, sent_field)
    if timestamp is not received_at:
        check_plausible(timestamp, received_at, f"{prefix}timestamp")

    message_id = get("messageId")
    if type(message_id) is not str or not message_id:
        message_id = _id(message_id, "messageId", prefix) or derive_message_id(
            message, type_=type_, client_time_given=original is not None, received_at=received_at,
            position=position,
        )
    return (message_id, type_, timestamp, received_at, user_id, anonymous_id, event_name, name, group_id,
            previous_id, original, sent_at, properties, context, traits, extra)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _id(value: Any, key: str, prefix: str) -> str | None:
    """An identifier: a non-empty string, or an integer as its decimal text; missing or "" → None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"{key} must be a string", field=f"{prefix}{key}")
    return str(value)


def _object(message: dict[str, Any], key: str, prefix: str) -> dict[str, Any] | None:
    value = message.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"{key} must be a JSON object", field=f"{prefix}{key}")
    return value


def _write_key(key: Any, seen: str | None) -> str | None:
    """The request's write key so far (``seen``) after meeting ``key``; one key per request."""
    if key is None or key == "":
        return seen
    if not isinstance(key, str):
        raise InvalidInput("writeKey must be a string", field="writeKey")
    if seen is not None and key != seen:
        raise InvalidInput("a request may carry only one writeKey", field="writeKey")
    return key
