"""One Meta ad account on the Graph API: settings, the bearer token, Meta's error bodies and usage-based
throttling on top of the shared ``ApiClient``.

Errors arrive as ``{"error": {"message", "type", "code", "error_subcode"?, "is_transient"?}}`` (HTTP 400,
403 for code 4). Codes 4, 17, 32, 613 and 80000-80014 are throttling: retryable after the
``estimated_time_to_regain_access`` the usage header names (minutes), else after the policy's backoff.
Code 190 (and 102, 10, 200-299) is an ``AuthError``; code 100 subcode 1487534 (too much data for a
synchronous call) is ``TooMuchData``; other codes are terminal with Meta's own message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import orjson

from growthos.sources.connectors import ConnectionConfig
from growthos.sources.http import (
    ApiClient,
    ApiWrapper,
    AuthError,
    ConnectorError,
    RetryableConnectorError,
    RetryPolicy,
    TerminalConnectorError,
    Timeouts,
)
from growthos.sources.http.retry import parse_retry_after
from growthos.sources.meta.usage import UsageThrottle, regain_seconds

BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
DEFAULT_REFETCH_DAYS = 7

THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
AUTH_CODES = frozenset({102, 190, 10, *range(200, 300)})
TOO_MUCH_DATA_SUBCODE = 1487534

_VERSION = re.compile(r"^v\d+\.\d+$")
_ACCOUNT = re.compile(r"^(?:act_)?(\d+)$")


class TooMuchData(TerminalConnectorError):
    """Code 100 subcode 1487534: the synchronous call asks for too much data; narrow it or run it async."""


def ad_account_id(value: Any) -> str:
    """``act_1029384756``, `` 1029384756 `` → ``1029384756``; anything else is a field error."""
    match = _ACCOUNT.match(str(value or "").strip())
    if not match:
        raise TerminalConnectorError(f"invalid Meta ad account id {value!r}: digits, with or without act_",
                                     field="ad_account_id")
    return match.group(1)


def api_version(value: Any) -> str:
    """``v21.0`` (``21.0`` is accepted too); the default when empty."""
    text = str(value or "").strip() or DEFAULT_API_VERSION
    if not text.startswith("v"):
        text = "v" + text
    if not _VERSION.match(text):
        raise TerminalConnectorError(f"invalid Graph API version {value!r} (like {DEFAULT_API_VERSION})",
                                     field="api_version")
    return text


def refetch_days(value: Any) -> int:
    """The late-attribution window in days (0-90); the default when empty."""
    if value is None or str(value).strip() == "":
        return DEFAULT_REFETCH_DAYS
    try:
        days = int(str(value).strip())
    except ValueError:
        days = -1
    if not 0 <= days <= 90:
        raise TerminalConnectorError(f"refetch_days must be a whole number of days from 0 to 90, got {value!r}",
                                     field="refetch_days")
    return days


def start_date(value: Any) -> date | None:
    """The first sync's first day (``YYYY-MM-DD``), or None for the default backfill."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise TerminalConnectorError(f"start_date must be a date as YYYY-MM-DD, got {value!r}",
                                     field="start_date") from None


def meta_error(response: httpx.Response | None, body: Any) -> ConnectorError | None:
    """Meta's ``{"error": {...}}`` as the matching ConnectorError, or None when the body carries none."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return None
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    status = response.status_code if response is not None else None
    text = str(error.get("message") or error.get("error_user_msg") or "unknown error")
    label = f"code {code}" + (f", subcode {subcode}" if subcode is not None else "")
    message = f"Meta API: {text} ({label})"
    if code in THROTTLE_CODES:
        wait = regain_seconds(response.headers) if response is not None else None
        return RetryableConnectorError(message, retry_after=wait or None, http_status=status)
    if code in AUTH_CODES:
        return AuthError(message, http_status=status)
    if code == 100 and subcode == TOO_MUCH_DATA_SUBCODE:
        return TooMuchData(message, http_status=status)
    if error.get("is_transient") or code in (1, 2) or (status is not None and (status == 429 or status >= 500)):
        return RetryableConnectorError(message, http_status=status)
    return TerminalConnectorError(message, http_status=status)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _error_response(response: httpx.Response) -> ConnectorError | None:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None  # not Meta's JSON: the client's default mapping by status
    error = meta_error(response, body)
    if isinstance(error, RetryableConnectorError) and error.retry_after is None:
        error.retry_after = parse_retry_after(response.headers.get("Retry-After"))
    return error


def split_next(url: str) -> tuple[str, dict[str, str]]:
    """A ``paging.next`` URL as (path, params) without its ``access_token`` (sent as a header instead, so
    the token never lands in an error message); the path is asked of this client's own base URL."""
    parts = urlsplit(url)
    params = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"}
    return parts.path, params


class MetaGraph(ApiWrapper):
    """``get(path, params)`` / ``post(path, params)`` → Meta's JSON object, retried and paced by usage."""

    def __init__(self, config: ConnectionConfig, *, retry: RetryPolicy | None = None,
                 timeouts: Timeouts | None = None) -> None:
        token = config.secrets.get("access_token")
        if not token:
            raise AuthError("the connection has no Meta access token", field="access_token")
        self.account_id = ad_account_id(config.settings.get("ad_account_id"))
        self.version = api_version(config.settings.get("api_version"))
        self.client = ApiClient.for_connection(
            config, BASE_URL, auth_headers=lambda: {"Authorization": f"Bearer {token}"}, retry=retry,
            timeouts=timeouts, on_error_response=_error_response,
        )
        self.usage = UsageThrottle()

    @property
    def account_path(self) -> str:
        return f"/{self.version}/act_{self.account_id}"

    def path(self, node: str) -> str:
        return f"/{self.version}/{node.lstrip('/')}"

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._request("GET", path, params)

    def post(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._request("POST", path, params)

    def _request(self, method: str, path: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        self.client.sleep(min(self.usage.take_wait(), self.client.retry.max_retry_after))

        def validate(response: httpx.Response, body: Any) -> None:
            self.usage.observe(response.headers)
            if not isinstance(body, Mapping):
                raise TerminalConnectorError(f"Meta API {method} {path}: the response is not a JSON object")
            error = meta_error(response, body)
            if error is not None:
                raise error

        return self.client.request_json(method, path, params=params, validate=validate)
