"""Who may call which route, written by rule independently of the routes' own dependencies: the auth matrix
checks the server against it and the fuzz tests use it to pick each route's credentials."""

from __future__ import annotations

import re

PUBLIC = {
    ("GET", "/api/health"),
    ("GET", "/sdk/vitals.js"),
    ("GET", "/login"),
    # Google sends the browser back here; the one-time state issued by the (admin) start route guards it.
    ("GET", "/api/connections/google/oauth/callback"),
}
SEGMENT = re.compile(r"^/v1/(track|identify|page|screen|group|alias|batch|import)$")
"""Segment's tracking API: an ingest key as the HTTP Basic user name (or writeKey in the body)."""
INGEST_POSTS = re.compile(r"^/api/analytics/[a-z-]+$|^/v1/traces$")
"""Event, telemetry and OTLP posts: 'Authorization: Bearer' with a key allowed to ingest."""
KEY_ONLY = re.compile(r"^/api/analytics/(performance|ai-performance|database-performance|resources)$|^/v1/traces$")
"""Telemetry posts (from browsers and services: a key, never a dashboard session)."""
READ_POSTS = {"/api/product/funnel"}
"""A question sent as a JSON body: a read."""
ADMIN_ONLY = re.compile(r"^/api/(connections|connectors)(/|$)")
"""Connections (and the connectors one can set up) hold third-party credentials: reading them needs admin."""


def required_scope(method: str, path: str) -> str | None:
    """The scope a caller needs: None for anyone, 'segment' for a Basic-auth ingest key, else a key scope."""
    if (method, path) in PUBLIC:
        return None
    if SEGMENT.match(path):
        return "segment"
    if method == "POST" and INGEST_POSTS.match(path):
        return "ingest"
    if ADMIN_ONLY.match(path):
        return "admin"
    if path.startswith("/api/") and (method == "GET" or path in READ_POSTS):
        return "read"
    if path.startswith("/api/"):
        return "admin"
    return None  # unclassified: the test fails on it
