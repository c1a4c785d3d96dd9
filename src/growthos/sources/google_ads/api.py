"""One Google Ads customer's REST API: ``searchStream`` with the OAuth token, the ``developer-token`` and
``login-customer-id`` headers, and Google Ads' errors mapped to retryable or terminal ones.

``POST /{version}/customers/{customer_id}/googleAds:searchStream {"query": GAQL}`` answers a JSON array of
batches ``{"results": [...], "fieldMask", "requestId"}``. An error may arrive as the whole body
(``{"error": {...}}``, HTTP 4xx/5xx), wrapped in the array, or as an element after some batches (HTTP 200):
the whole answer is checked before any of it is used, and a retryable error repeats the whole request.

Quota: ``RESOURCE_TEMPORARILY_EXHAUSTED`` (a rate limit) waits the ``retryDelay`` Google gives;
``RESOURCE_EXHAUSTED`` (the developer token's daily operations) is terminal until the next day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from growthos.sources.connectors import ConnectionConfig
from growthos.sources.google_auth import (
    RETRYABLE_STATUSES,
    GoogleTokenProvider,
    call_with_refresh,
    error_message,
    google_error_of,
    retry_delay_of,
)
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
from growthos.sources.http.paginators import BatchStreamReader, Page

DEFAULT_BASE_URL = "https://googleads.googleapis.com"
DEFAULT_API_VERSION = "v17"

_CUSTOMER_ID = re.compile(r"^\d{10}$")
_VERSION = re.compile(r"^v\d+$")
_AUTH_ERROR_KINDS = {"authenticationError", "authorizationError"}
_DEVELOPER_TOKEN_CODES = {"DEVELOPER_TOKEN_PROHIBITED", "DEVELOPER_TOKEN_NOT_APPROVED",
                          "DEVELOPER_TOKEN_PARAMETER_MISSING", "DEVELOPER_TOKEN_INVALID"}


def customer_id(value: str | int | None, field: str = "customer_id") -> str:
    """``123-456-7890`` or ``1234567890`` → ``1234567890`` (TerminalConnectorError naming ``field`` otherwise)."""
    digits = re.sub(r"[\s-]", "", str(value or ""))
    if not _CUSTOMER_ID.match(digits):
        raise TerminalConnectorError(f"invalid Google Ads customer ID {value!r}: expected 10 digits "
                                     f"(dashes allowed, e.g. 123-456-7890)", field=field)
    return digits


def ads_error(status: int, body: Any) -> ConnectorError | None:
    """The error a Google Ads error body means (a whole body, or an element of the stream), else None."""
    error = google_error_of(body)
    if error is None:
        return None
    failures = [e for d in error.get("details") or [] if isinstance(d, Mapping)
                for e in d.get("errors") or [] if isinstance(e, Mapping)]
    codes = {kind: code for e in failures for kind, code in (e.get("errorCode") or {}).items()}
    detail = "; ".join(str(e.get("message")) for e in failures if e.get("message"))
    named = "; ".join(f"{kind}.{code}" for kind, code in codes.items())
    message = f"Google Ads: HTTP {status} {error_message(error)}"
    if named:
        message += f" [{named}]"
    if detail:
        message += f": {detail}"
    code = int(error.get("code") or status)
    quota = codes.get("quotaError")
    if quota == "RESOURCE_EXHAUSTED":
        return TerminalConnectorError(
            f"{message}. The developer token's daily operations quota is used up: syncs resume tomorrow "
            f"(or apply for a higher access level).", http_status=code)
    if quota == "RESOURCE_TEMPORARILY_EXHAUSTED" or code == 429:
        return RetryableConnectorError(message, retry_after=retry_delay_of(error), http_status=code)
    if code >= 500 or error.get("status") in RETRYABLE_STATUSES:
        return RetryableConnectorError(message, retry_after=retry_delay_of(error), http_status=code)
    if code == 401 or error.get("status") == "UNAUTHENTICATED":
        return AuthError(message, http_status=401)
    if codes.get("requestError") in _DEVELOPER_TOKEN_CODES or codes.get("authorizationError") in \
            _DEVELOPER_TOKEN_CODES:
        return AuthError(f"{message} (check the developer token)", http_status=code, field="developer_token")
    if code == 403 or _AUTH_ERROR_KINDS & set(codes):
        return AuthError(message, http_status=code)
    return TerminalConnectorError(message, http_status=code)


class GoogleAdsApi(ApiWrapper):
    """``search_stream(query)`` → the pages (batches) of one searchStream answer, checked whole."""

    def __init__(
        self,
        config: ConnectionConfig,
        *,
        tokens: GoogleTokenProvider | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        settings, secrets = config.settings, config.secrets
        self.customer_id = customer_id(settings.get("customer_id"))
        login = settings.get("login_customer_id")
        self.login_customer_id = customer_id(login, "login_customer_id") if login else None
        developer_token = secrets.get("developer_token") or settings.get("developer_token")
        if not developer_token:
            raise AuthError("the connection has no Google Ads developer token", field="developer_token")
        version = str(settings.get("api_version") or DEFAULT_API_VERSION)
        if not _VERSION.match(version):
            raise TerminalConnectorError(f"invalid Google Ads API version {version!r} (e.g. v17)",
                                         field="api_version")
        self.path = f"/{version}/customers/{self.customer_id}/googleAds:searchStream"
        self.retry = retry or RetryPolicy()
        self.tokens = tokens or GoogleTokenProvider.from_config(config, retry=self.retry, timeouts=timeouts)
        headers = {"developer-token": developer_token}
        if self.login_customer_id:
            headers["login-customer-id"] = self.login_customer_id

        def auth_headers() -> dict[str, str]:
            return {**self.tokens.headers(), **headers}

        self.client = ApiClient.for_connection(config, DEFAULT_BASE_URL, auth_headers=auth_headers, retry=self.retry,
                                               timeouts=timeouts, on_error_response=_error_response)

    def search_stream(self, query: str) -> list[Page]:
        """Every batch of the answer to ``query``; an error anywhere in it raises (and retries) first."""
        reader = BatchStreamReader(on_error=lambda error: ads_error(int(error.get("code") or 200), {"error": error})
                                   or TerminalConnectorError(f"Google Ads: error inside the stream: {error}"))

        def validate(response: httpx.Response, body: Any) -> None:
            if not isinstance(body, list | Mapping):
                raise TerminalConnectorError("Google Ads searchStream: the answer is not a JSON array")
            list(reader.pages(body))

        def send() -> Any:
            return self.client.request_json("POST", self.path, json={"query": query}, validate=validate)

        body = call_with_refresh(self.tokens, send)
        return list(reader.pages(body))


def _error_response(response: httpx.Response) -> ConnectorError | None:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    return ads_error(response.status_code, body)
