"""A bound on every request body, as a plain ASGI middleware: 413 problem details before a route reads more.

Routes with tighter limits of their own (the collector's 32 KB / 500 KB, telemetry's 1 MB) still apply them;
this guard keeps any other JSON route (rules, loops, connections, funnel questions) from reading a body of any
size into memory. A declared Content-Length above the limit is refused without reading; a body without one
(chunked) is read here up to the limit, refused once it passes it, and handed to the route whole."""

from __future__ import annotations

from typing import Any

from growthos.server.problems import problem

DEFAULT_LIMIT_BYTES = 1_000_000
"""Any route not listed in LIMITS_BY_PATH."""
LIMITS_BY_PATH = {"/v1/traces": 8_000_000}
"""Routes that take larger bodies (OTLP exports batch many spans)."""


def body_limit(path: str) -> int:
    return LIMITS_BY_PATH.get(path, DEFAULT_LIMIT_BYTES)


def _too_large(scope: dict, size: str, limit: int) -> Any:
    return problem(413, "Payload too large", f"request body is {size} bytes; the limit is {limit}",
                   instance=scope.get("path"), slug="payload-too-large",
                   invalid_params=[{"name": "body", "reason": f"above {limit} bytes"}])


class BodyLimit:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", ""))
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                declared = value.decode("latin-1")
                if declared.isdigit() and int(declared) > limit:
                    await _too_large(scope, declared, limit)(scope, receive, send)
                    return
                await self.app(scope, receive, send)  # the server delivers no more than it declared
                return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await _too_large(scope, f"more than {limit}", limit)(scope, receive, send)
                return
            more = message.get("more_body", False)
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


def _replay(messages: list[dict], receive: Any) -> Any:
    """A receive channel that gives ``messages`` first, then the connection's own (its disconnect)."""
    pending = list(messages)

    async def replayed() -> dict:
        return pending.pop(0) if pending else await receive()

    return replayed
