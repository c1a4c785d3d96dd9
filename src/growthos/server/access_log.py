"""The access log as a plain ASGI middleware: one line per request (method, path, status, duration).

Plain ASGI rather than Starlette's ``@app.middleware("http")``: that one runs every request through an
extra task and memory streams, which cost the collector's ingest route more than parsing its batch did
(bench/collector.py)."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

access_log = logging.getLogger("growthos.access")

SECRET_QUERY_PATHS = frozenset({"/login"})
"""Paths whose query strings carry secrets and are never logged."""
SECRET_PARAMS = re.compile(r"(?i)(^|&)(key|token|access_token|code|state|write_?key|api_key|password|secret)=[^&]*")
"""Query parameters that carry credentials (OTLP's ``key``, OAuth's ``code`` and ``state``): logged as ``***``."""
KEY_PATTERN = re.compile(r"gos_[a-z]+_[A-Za-z0-9_-]{20,}")
"""A GrowthOS API key wherever it appears in a query string."""


def shown_query(query: str) -> str:
    """The query string as logged: credentials replaced by ``***``."""
    query = SECRET_PARAMS.sub(lambda m: f"{m.group(1)}{m.group(2)}=***", query)
    return KEY_PATTERN.sub("***", query)


class AccessLog:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_status(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            path = scope.get("path", "")
            query = scope.get("query_string", b"").decode("latin-1")
            shown = path if (not query or path in SECRET_QUERY_PATHS) else f"{path}?{shown_query(query)}"
            access_log.info("%s %s %s %.1fms", scope.get("method", ""), shown, status[0],
                            (time.perf_counter() - started) * 1000)
