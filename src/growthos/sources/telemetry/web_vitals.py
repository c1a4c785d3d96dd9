"""Core Web Vitals samples, as Google's web-vitals library reports them from real browsers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from growthos.sources.telemetry.records import TIMESTAMP, Field, RecordKind

METRICS = ("LCP", "INP", "CLS", "FCP", "TTFB", "FID")
RATINGS = ("good", "needs-improvement", "poor")


def _from_request(record: dict[str, Any], context: Mapping[str, str]) -> None:
    """The browser's user agent from the request when the snippet did not send one."""
    if record.get("user_agent") is None and context.get("user_agent"):
        record["user_agent"] = context["user_agent"][:512]


WEB_VITAL = RecordKind(
    name="web_vital",
    table="telemetry_web_vitals",
    description="One Core Web Vitals measurement of one page view.",
    enrich=_from_request,
    fields=(
        Field("name", "string", required=True, choices=METRICS, description="LCP, INP, CLS, FCP, TTFB or FID."),
        Field("value", "float", required=True, minimum=0, maximum=3_600_000,
              description="Milliseconds (CLS: unitless layout-shift score)."),
        Field("rating", "string", choices=RATINGS, description="The library's own rating, when sent."),
        Field("delta", "float", description="Change since the previous report of this metric for the page."),
        Field("metric_id", "string", max_length=128, description="web-vitals' id of this metric instance."),
        Field("navigation_type", "string", max_length=32, description="navigate, reload, back-forward, prerender..."),
        Field("route", "string", required=True, max_length=512, description="The page's route (path, no query)."),
        Field("connection_type", "string", max_length=32, description="navigator.connection.effectiveType."),
        Field("user_agent", "string", max_length=512, description="Default: the request's User-Agent."),
        Field("session_id", "string", max_length=128),
        TIMESTAMP,
    ),
)
