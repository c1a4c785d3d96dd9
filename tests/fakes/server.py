"""Shared harness for the fake third-party servers: serve an ASGI app on 127.0.0.1, log requests, inject faults.

Import as ``from fakes.server import ...`` (tests/ is on sys.path via pytest's rootdir conftest).

Public API — small on purpose:

``running(app) -> ContextManager[str]``
    Serves any ASGI app with uvicorn on 127.0.0.1 on a free port in a background thread, waits until it
    answers HTTP, yields the base URL (``"http://127.0.0.1:PORT"``, no trailing slash) and stops it on exit.

``FakeService``
    Base class of every fake. Subclasses implement ``routes()`` (a list of ``starlette.routing.Route``) and
    may override ``error_body(status)`` (the API's own error JSON for an injected ``status`` fault without
    a body) and ``expired_token_response()`` (``(status, json_body)`` the API sends for an expired token).
    Each instance has ``.faults`` (a ``Faults``), ``.log`` (a ``RequestLog``), ``.app`` (the instrumented
    ASGI app) and ``.serve()`` (``running(self.app)``; also sets ``.base_url``). Usage::

        with fake.serve() as base_url:
            fake.faults.status(429, headers={"Retry-After": "1"})
            httpx.get(f"{base_url}/...")           # -> 429
            assert fake.log.requests[-1].path == "/..."

``Faults``
    A thread-safe queue of faults applied, in order, to the next requests they match (``path``: a regex
    searched in the URL path, ``method``: exact; both optional; ``times``: how many requests it hits).
    Calls: ``status(code, body=None, headers=None)``, ``timeout(seconds)`` (sleeps, then answers
    normally), ``malformed_json()`` (status 200, the body is not JSON), ``truncated(cut_connection=False)``
    (the real body cut in half; with ``cut_connection`` the full Content-Length is announced and the
    connection dropped mid-body), ``expired_token()`` (the API's own expired-token error). All accept
    ``path=``, ``method=``, ``times=``. ``pending()`` counts faults not yet used; ``clear()`` drops them.

``RequestLog``
    Every request that reached the fake (faulted ones too), as ``LoggedRequest`` (method, path, query:
    dict of last values, query_items: all pairs, headers: lower-case dict, body: bytes, ``.json()``,
    ``.form()``, fault: the fault kind applied or None). ``requests`` (a copy), ``matching(path_regex,
    method=None)``, ``clear()``.

``instrument(app, faults, log, error_body=..., expired_token=...)``
    The wrapper ``FakeService`` uses, for an ASGI app built another way.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FAULT_KINDS = ("status", "timeout", "malformed_json", "truncated", "expired_token")


# ---------------------------------------------------------------- serving


@contextmanager
def running(app: ASGIApp, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 in a background thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                            timeout_graceful_shutdown=1, timeout_keep_alive=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"fake-server-{port}",
                              daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(server, thread, base_url, startup_timeout)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()


def _wait_until_answering(server: uvicorn.Server, thread: threading.Thread, base_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"fake server at {base_url} died while starting")
        if server.started:
            try:
                # Any HTTP answer (even 404) proves the server is serving; this request is not logged.
                httpx.get(f"{base_url}/__fake_ready__", timeout=1.0)
                return
            except httpx.TransportError:
                pass
        time.sleep(0.01)
    raise RuntimeError(f"fake server at {base_url} did not answer within {timeout}s")


# ---------------------------------------------------------------- faults


@dataclass
class Fault:
    """One injected fault; ``remaining`` requests left to hit."""

    kind: str
    remaining: int = 1
    path: str | None = None
    method: str | None = None
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    seconds: float = 0.0
    cut_connection: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None


class Faults:
    """Thread-safe FIFO of faults; the first one matching a request is applied to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; one of {FAULT_KINDS}")
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._queue.append(fault)
        return fault

    def status(self, code: int, body: Any = None, headers: dict[str, str] | None = None, *, times: int = 1,
               path: str | None = None, method: str | None = None) -> Fault:
        """Answer ``code`` with ``body`` (JSON-encoded unless bytes/str; default: the API's error shape)."""
        return self.add(Fault("status", times, path, method, status=code, headers=dict(headers or {}), body=body))

    def timeout(self, seconds: float, *, times: int = 1, path: str | None = None,
                method: str | None = None) -> Fault:
        """Sleep ``seconds`` before answering normally (a client with a shorter timeout sees a timeout)."""
        return self.add(Fault("timeout", times, path, method, seconds=seconds))

    def malformed_json(self, *, times: int = 1, path: str | None = None, method: str | None = None) -> Fault:
        """Answer 200 with a Content-Type of JSON and a body that is not JSON."""
        return self.add(Fault("malformed_json", times, path, method))

    def truncated(self, *, cut_connection: bool = False, times: int = 1, path: str | None = None,
                  method: str | None = None) -> Fault:
        """Answer with the first half of the real body (Content-Length matching it), or announce the full
        length and drop the connection after half when ``cut_connection``."""
        return self.add(Fault("truncated", times, path, method, cut_connection=cut_connection))

    def expired_token(self, *, times: int = 1, path: str | None = None, method: str | None = None) -> Fault:
        """Answer as the API does for an expired access token, whatever token was sent."""
        return self.add(Fault("expired_token", times, path, method))

    def take(self, method: str, path: str) -> Fault | None:
        """The first pending fault matching the request (its count decremented), or None."""
        with self._lock:
            for i, fault in enumerate(self._queue):
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        del self._queue[i]
                    return fault
        return None

    def pending(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._queue)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()


# ---------------------------------------------------------------- request log


@dataclass
class LoggedRequest:
    method: str
    path: str
    query_items: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    fault: str | None = None

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (last value wins)."""
        return dict(self.query_items)

    def json(self) -> Any:
        """The body parsed as JSON, or None when empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        """The body parsed as application/x-www-form-urlencoded (last value wins)."""
        return dict(parse_qsl(self.body.decode("latin-1"), keep_blank_values=True))


class RequestLog:
    """Thread-safe list of the requests a fake received, in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[LoggedRequest] = []

    def append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._items)

    def matching(self, path: str, method: str | None = None) -> list[LoggedRequest]:
        """Requests whose path matches the regex ``path`` (and ``method`` when given)."""
        return [r for r in self.requests
                if re.search(path, r.path) and (method is None or r.method == method.upper())]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


# ---------------------------------------------------------------- instrumenting an app


def default_error_body(status: int) -> Any:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"error": {"code": status, "message": phrase}}


def default_expired_token() -> tuple[int, Any]:
    return 401, {"error": {"code": 401, "message": "access token expired"}}


def instrument(app: ASGIApp, faults: Faults, log: RequestLog, *,
               error_body: Callable[[int], Any] = default_error_body,
               expired_token: Callable[[], tuple[int, Any]] = default_expired_token) -> ASGIApp:
    """Wrap an ASGI app so every HTTP request is logged and the first matching fault is applied to it."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/__fake_ready__":
            await _send_json(send, 204, None, {})
            return
        body = await _read_body(receive)
        fault = faults.take(scope["method"], path)
        log.append(LoggedRequest(
            method=scope["method"], path=path,
            query_items=parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])},
            body=body, fault=fault.kind if fault else None,
        ))
        replay = _replay(body, receive)
        if fault is None:
            await app(scope, replay, send)
        elif fault.kind == "status":
            payload = error_body(fault.status) if fault.body is None else fault.body
            await _send_json(send, fault.status, payload, fault.headers)
        elif fault.kind == "expired_token":
            status, payload = expired_token()
            await _send_json(send, status, payload, {})
        elif fault.kind == "timeout":
            await asyncio.sleep(fault.seconds)
            await app(scope, replay, send)
        elif fault.kind == "malformed_json":
            await _send_raw(send, 200, b'{"data": [{"oops": tru', {"content-type": "application/json"})
        elif fault.kind == "truncated":
            await _send_truncated(app, scope, replay, send, fault.cut_connection)

    return wrapped


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that yields the already-read body once, then the real channel (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_raw(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
                   if k.lower() != "content-length"]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _send_json(send: Send, status: int, payload: Any, headers: dict[str, str]) -> None:
    if payload is None:
        body = b""
    elif isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode()
    else:
        body = json.dumps(payload).encode()
    merged = {"content-type": "application/json; charset=UTF-8"} if body else {}
    merged.update(headers)
    await _send_raw(send, status, body, merged)


async def _send_truncated(app: ASGIApp, scope: Scope, receive: Receive, send: Send, cut_connection: bool) -> None:
    start: Message = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    full = b"".join(chunks)
    half = full[: len(full) // 2]
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    length = len(full) if cut_connection else len(half)
    headers.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": start.get("status", 200), "headers": headers})
    # With cut_connection the app returns before the announced length is sent: uvicorn closes the connection.
    await send({"type": "http.response.body", "body": half, "more_body": cut_connection})


# ---------------------------------------------------------------- base class


class FakeService:
    """Base of each fake API: routes + faults + request log + serving. Subclasses implement ``routes()``."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.log = RequestLog()
        self.base_url: str | None = None
        self._app: ASGIApp | None = None

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def error_body(self, status: int) -> Any:
        """The API's error JSON for an injected ``status`` fault given without a body."""
        return default_error_body(status)

    def expired_token_response(self) -> tuple[int, Any]:
        """``(status, body)`` the API answers for an expired access token."""
        return default_expired_token()

    @property
    def app(self) -> ASGIApp:
        if self._app is None:
            self._app = instrument(Starlette(routes=self.routes()), self.faults, self.log,
                                   error_body=self.error_body, expired_token=self.expired_token_response)
        return self._app

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve this fake on 127.0.0.1; yields (and sets ``self.base_url`` to) its base URL."""
        with running(self.app) as base_url:
            self.base_url = base_url
            try:
                yield base_url
            finally:
                self.base_url = None
