"""``ApiClient``: one httpx.Client per connection with explicit timeouts, auth headers from a hook and
every request run under the retry policy.

What a response turns into:

- transport errors and timeouts, 429, 5xx, a body that is not valid JSON (a truncated page): retryable;
- 401 and 403: ``AuthError``; any other 4xx: ``TerminalConnectorError``;
- otherwise the parsed JSON, after the caller's ``validate`` hook (which may raise either kind itself,
  e.g. Shopify's THROTTLED errors inside a 200).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

import httpx
import orjson

from growthos.sources.http.errors import (
    AuthError,
    ConnectorError,
    RetryableConnectorError,
    TerminalConnectorError,
)
from growthos.sources.http.retry import RetryPolicy, parse_retry_after

if TYPE_CHECKING:
    from growthos.sources.connectors import ConnectionConfig

Validate = Callable[[httpx.Response, Any], None]
"""Inspects a parsed 2xx body; raises a ConnectorError to reject it (retryable ones are retried)."""

ErrorHook = Callable[[httpx.Response], "ConnectorError | None"]
"""Maps a non-2xx response to the API's own error (e.g. a wait read from the body), or None for the default."""

MAX_ERROR_TEXT = 500


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 10.0
    """Seconds to establish a connection."""
    read: float = 60.0
    """Seconds to wait for each chunk of the response."""
    write: float = 30.0
    """Seconds to send the request body."""
    pool: float = 10.0
    """Seconds to wait for a free connection from the pool."""

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass
class ClientStats:
    requests: int = 0
    """HTTP requests sent (retries included)."""
    pages: int = 0
    """Pages of records read (counted by the paginators' callers)."""
    retries: int = 0
    """Requests repeated after a retryable failure."""
    errors: int = 0
    """Failed requests, retryable or not."""
    waited: float = 0.0
    """Seconds slept: backoff, Retry-After and throttling waits."""


def error_text(response: httpx.Response) -> str:
    """The API's own error message from a response body (``errors``/``error``/``message``), else its text."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text.strip()[:MAX_ERROR_TEXT] or response.reason_phrase
    return _message_of(body)[:MAX_ERROR_TEXT] or response.reason_phrase


def _message_of(body: Any) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        return "; ".join(filter(None, (_message_of(item) for item in body)))
    if isinstance(body, dict):
        for key in ("errors", "error", "message", "error_description"):
            if key in body and body[key]:
                return _message_of(body[key])
        return orjson.dumps(body).decode()
    return str(body) if body is not None else ""


class ApiClient:
    """HTTP for one connection: ``request_json`` returns parsed JSON or raises a ConnectorError."""

    def __init__(
        self,
        base_url: str,
        *,
        auth_headers: Callable[[], Mapping[str, str]] | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = "GrowthOS",
        on_error_response: ErrorHook | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._on_error_response = on_error_response
        self.stats = ClientStats()
        self._auth_headers = auth_headers or (lambda: {})
        self._http = httpx.Client(
            base_url=base_url,
            timeout=(timeouts or Timeouts()).httpx(),
            transport=transport,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )

    @classmethod
    def for_connection(cls, config: ConnectionConfig, default_base_url: str, **options: Any) -> ApiClient:
        """A client for a connection: its ``api_base_url`` (a proxy, a test's fake) or the real API's URL."""
        return cls((config.api_base_url or default_base_url).rstrip("/"), **options)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def sleep(self, seconds: float) -> None:
        """Wait through the retry policy's (injectable) sleep, counted in the stats."""
        if seconds > 0:
            self.stats.waited += seconds
            self.retry.sleep(seconds)

    def request_json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        validate: Validate | None = None,
    ) -> Any:
        """Send the request (retrying retryable failures) and return the parsed JSON body."""

        def attempt() -> Any:
            return self.send_once(method, url, params=params, json=json, headers=headers, validate=validate)

        return self.retry.run(attempt, on_retry=self._count_retry)

    def send_once(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        validate: Validate | None = None,
    ) -> Any:
        """One request, no retries: the parsed JSON body, or a ConnectorError."""
        self.stats.requests += 1
        try:
            response = self._send(method, url, params=params, json=json, headers=headers)
            body = self._parse(response)
            if validate is not None:
                validate(response, body)
            return body
        except ConnectorError:
            self.stats.errors += 1
            raise

    def _send(
        self, method: str, url: str, *, params: Mapping[str, Any] | None, json: Any, headers: Mapping[str, str] | None
    ) -> httpx.Response:
        all_headers = {**self._auth_headers(), **(headers or {})}
        content = orjson.dumps(json) if json is not None else None
        if content is not None:
            all_headers.setdefault("Content-Type", "application/json")
        try:
            return self._http.request(method, url, params=params, content=content, headers=all_headers)
        except httpx.TimeoutException as exc:
            raise RetryableConnectorError(f"{method} {url}: timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise RetryableConnectorError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc

    def _parse(self, response: httpx.Response) -> Any:
        status = response.status_code
        where = f"{response.request.method} {response.request.url.path}"
        if status >= 400 and self._on_error_response is not None:
            mapped = self._on_error_response(response)
            if mapped is not None:
                raise mapped
        if status == 429 or status >= 500:
            raise RetryableConnectorError(
                f"{where}: HTTP {status}: {error_text(response)}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                http_status=status,
            )
        if status in (401, 403):
            raise AuthError(f"{where}: HTTP {status}: {error_text(response)}", http_status=status)
        if status >= 400:
            raise TerminalConnectorError(f"{where}: HTTP {status}: {error_text(response)}", http_status=status)
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise RetryableConnectorError(
                f"{where}: malformed or truncated JSON ({len(response.content)} bytes): {exc}", http_status=status
            ) from exc

    def _count_retry(self, error: BaseException, wait: float) -> None:
        self.stats.retries += 1
        self.stats.waited += wait


class ApiWrapper:
    """Base of a connector's API class holding an ``ApiClient``: a context manager that closes it."""

    client: ApiClient

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()
