"""``POST /api/analytics/conversions``: a step of a named conversion funnel, stored as an app event.

``{funnel, step, user_id | session_id, properties?, timestamp?, route?, referrer?, user_agent?,
message_id?}`` becomes the track event ``Funnel Step Completed`` with ``funnel`` and ``step`` among its
properties, so product funnels can filter on them (``where={"funnel": "checkout", "step": "2"}``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from growthos.core.errors import InvalidInput
from growthos.sources.collector.app_events import parse_app_event
from growthos.sources.collector.body import load_json
from growthos.sources.collector.event import Event
from growthos.sources.collector.options import CollectorOptions

CONVERSION_EVENT = "Funnel Step Completed"
_DEFAULT_OPTIONS = CollectorOptions()


def parse_conversion(body: bytes | str | dict[str, Any], *, received_at: datetime,
                     options: CollectorOptions = _DEFAULT_OPTIONS, client_ip: str | None = None) -> Event:
    payload = load_json(body) if isinstance(body, bytes | bytearray | str) else body
    if not isinstance(payload, dict):
        raise InvalidInput("body must be a JSON object", field="body")
    funnel = payload.get("funnel")
    if not isinstance(funnel, str) or not funnel.strip():
        raise InvalidInput("funnel is required: the name of the conversion funnel", field="funnel")
    step = payload.get("step")
    if isinstance(step, bool) or not isinstance(step, str | int) or step == "":
        raise InvalidInput("step is required: the step's name or number", field="step")
    if "event" in payload:
        raise InvalidInput("a conversion has no event field (it is always 'Funnel Step Completed')", field="event")
    properties = payload.get("properties")
    if properties is not None and not isinstance(properties, dict):
        raise InvalidInput("properties must be a JSON object", field="properties")
    app_event = {k: v for k, v in payload.items() if k not in ("funnel", "step")}
    app_event["event"] = CONVERSION_EVENT
    app_event["properties"] = {**(properties or {}), "funnel": funnel, "step": step}
    return parse_app_event(app_event, received_at=received_at, options=options, client_ip=client_ip)
