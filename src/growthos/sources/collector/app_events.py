"""GrowthOS's own app-analytics shape → the same events as Segment's ``track``.

``POST /api/analytics/events`` with ``{user_id, session_id, event, properties, route, referrer,
user_agent, timestamp}`` becomes a track message:

=============  ===============================  =================================================
app field      Segment field                    note
=============  ===============================  =================================================
user_id        ``userId``                       ``user_id`` or ``session_id`` is required
session_id     ``anonymousId`` and              the session stands for the visitor until they log
               ``context.sessionId``            in; an event with both links them (identity)
event          ``event``                        required
properties     ``properties``                   a JSON object
route          ``context.page.path``            where analytics.js puts the page path
referrer       ``context.page.referrer``
user_agent     ``context.userAgent``
timestamp      ``timestamp``                    ISO 8601; no ``sentAt``, so used as given; missing
                                                → the receive time
message_id     ``messageId``                    optional; derived from the content when missing
=============  ===============================  =================================================

Any other field is kept in ``extra``; the stored event has ``source = 'app'``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from growthos.core.errors import InvalidInput
from growthos.sources.collector.body import load_json
from growthos.sources.collector.errors import PayloadTooLarge
from growthos.sources.collector.event import Event
from growthos.sources.collector.message_id import derive_message_id
from growthos.sources.collector.options import CollectorOptions
from growthos.sources.collector.segment import compact_size, parse_message

_MAPPED = frozenset({
    "user_id", "session_id", "event", "properties", "route", "referrer", "user_agent", "timestamp", "message_id",
})
_DEFAULT_OPTIONS = CollectorOptions()


def parse_app_event(body: bytes | str | dict[str, Any], *, received_at: datetime,
                    options: CollectorOptions = _DEFAULT_OPTIONS, client_ip: str | None = None) -> Event:
    payload = load_json(body) if isinstance(body, bytes | bytearray | str) else body
    if not isinstance(payload, dict):
        raise InvalidInput("body must be a JSON object", field="body")
    size = compact_size(payload, "body")
    if size > options.max_message_bytes:
        raise PayloadTooLarge(f"event is {size} bytes; the limit is {options.max_message_bytes}", field="body")

    user_id = _id(payload, "user_id")
    session_id = _id(payload, "session_id")
    if user_id is None and session_id is None:
        raise InvalidInput("user_id or session_id is required", field="user_id")
    event = payload.get("event")
    if not isinstance(event, str) or not event.strip():
        raise InvalidInput("event is required", field="event")
    properties = payload.get("properties")
    if properties is not None and not isinstance(properties, dict):
        raise InvalidInput("properties must be a JSON object", field="properties")
    route, referrer, user_agent = (_text(payload, k) for k in ("route", "referrer", "user_agent"))

    context: dict[str, Any] = {}
    if session_id is not None:
        context["sessionId"] = session_id
    page = {k: v for k, v in (("path", route), ("referrer", referrer)) if v is not None}
    if page:
        context["page"] = page
    if user_agent is not None:
        context["userAgent"] = user_agent

    timestamp = payload.get("timestamp")
    message_id = _id(payload, "message_id") or derive_message_id(
        payload, type_="app", client_time_given=timestamp not in (None, ""), received_at=received_at, position=0
    )
    message: dict[str, Any] = {"type": "track", "event": event, "messageId": message_id}
    for key, value in (("userId", user_id), ("anonymousId", session_id), ("properties", properties),
                       ("context", context or None), ("timestamp", timestamp)):
        if value is not None:
            message[key] = value
    parsed = parse_message(message, "track", prefix="", received_at=received_at, position=0, client_ip=client_ip)
    unknown = {k: v for k, v in payload.items() if k not in _MAPPED}
    return replace(parsed, source="app", extra=unknown or None)


def _id(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"{key} must be a string", field=key)
    return str(value)


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be a string", field=key)
    return value
