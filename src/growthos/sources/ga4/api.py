"""One GA4 property's Data API: ``runReport`` with the OAuth token, paged by ``limit``/``offset``, and
Google's errors mapped to retryable or terminal ones.

``POST /v1beta/properties/{id}:runReport`` answers ``dimensionHeaders``, ``metricHeaders``, ``rows`` (values
as strings, dates YYYYMMDD) and ``rowCount`` (the total whatever ``limit`` was; absent, like ``rows``, when
the report is empty). Quota: 429 ``RESOURCE_EXHAUSTED`` — the hourly and concurrent limits pass (retried);
exhausted tokens *per day* do not before midnight Pacific time (terminal, said so).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
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
from growthos.sources.http.paginators import OffsetPaginator, Page

DEFAULT_BASE_URL = "https://analyticsdata.googleapis.com"
DEFAULT_PAGE_SIZE = 10_000
MAX_PAGE_SIZE = 250_000

_PROPERTY = re.compile(r"^\d+$")


def property_id(value: str | int | None) -> str:
    """``123456789`` or ``properties/123456789`` → ``123456789`` (TerminalConnectorError otherwise)."""
    text = str(value or "").strip().removeprefix("properties/")
    if not _PROPERTY.match(text):
        raise TerminalConnectorError(f"invalid GA4 property ID {value!r}: expected the numeric property ID "
                                     f"(Admin > Property settings), not a G- measurement ID", field="property_id")
    return text


def ga4_error(status: int, body: Any) -> ConnectorError | None:
    """The error a GA4 error body means, else None (the client's default mapping applies)."""
    error = google_error_of(body)
    if error is None:
        return None
    code = int(error.get("code") or status)
    message = f"GA4 Data API: HTTP {status} {error_message(error)}"
    text = str(error.get("message") or "").lower()
    if code == 429 or error.get("status") == "RESOURCE_EXHAUSTED":
        if "per day" in text:
            return TerminalConnectorError(f"{message} (the property's daily quota is used up: syncs resume "
                                          f"after midnight Pacific time)", http_status=code)
        return RetryableConnectorError(message, retry_after=retry_delay_of(error), http_status=code)
    if code >= 500 or error.get("status") in RETRYABLE_STATUSES:
        return RetryableConnectorError(message, retry_after=retry_delay_of(error), http_status=code)
    if code in (401, 403) or error.get("status") in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return AuthError(message, http_status=code)
    return TerminalConnectorError(message, http_status=code)


class GA4Api(ApiWrapper):
    """``run_report(body)`` → one page; ``report_pages(body)`` → every page of a report."""

    def __init__(
        self,
        config: ConnectionConfig,
        *,
        tokens: GoogleTokenProvider | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.property_id = property_id(config.settings.get("property_id"))
        self.path = f"/v1beta/properties/{self.property_id}:runReport"
        self.retry = retry or RetryPolicy()
        self.tokens = tokens or GoogleTokenProvider.from_config(config, retry=self.retry, timeouts=timeouts)
        self.client = ApiClient.for_connection(config, DEFAULT_BASE_URL, auth_headers=self.tokens.headers,
                                               retry=self.retry, timeouts=timeouts, on_error_response=_error_response)

    def run_report(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """One runReport request, retried; a 401 gets one fresh access token."""
        dimensions = [d["name"] for d in body.get("dimensions", [])]
        metrics = [m["name"] for m in body.get("metrics", [])]

        def validate(response: httpx.Response, answer: Any) -> None:
            _check_report(answer, dimensions, metrics)

        def send() -> Any:
            return self.client.request_json("POST", self.path, json=dict(body), validate=validate)

        return call_with_refresh(self.tokens, send)

    def report_pages(self, body: Mapping[str, Any], page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Page]:
        """The report's rows page by page (``offset`` moves by the rows received until it reaches ``rowCount``)."""

        def fetch(offset: int, limit: int) -> dict[str, Any]:
            return self.run_report({**body, "limit": str(limit), "offset": str(offset)})

        yield from OffsetPaginator(fetch, limit=min(page_size, MAX_PAGE_SIZE)).pages()


def _check_report(answer: Any, dimensions: Sequence[str], metrics: Sequence[str]) -> None:
    """The answer is a report whose columns are the ones asked, in that order (staging reads positions)."""
    if not isinstance(answer, Mapping):
        raise TerminalConnectorError("GA4 runReport: the answer is not a JSON object")
    if google_error_of(answer) is not None:
        raise ga4_error(200, answer) or TerminalConnectorError(f"GA4 runReport: {answer['error']}")
    got_dimensions = [h.get("name") for h in answer.get("dimensionHeaders") or []]
    got_metrics = [h.get("name") for h in answer.get("metricHeaders") or []]
    if got_dimensions != list(dimensions) or got_metrics != list(metrics):
        raise TerminalConnectorError(f"GA4 runReport answered columns {got_dimensions} / {got_metrics}, "
                                     f"not the {list(dimensions)} / {list(metrics)} asked")
    for number, row in enumerate(answer.get("rows") or [], start=1):
        if (not isinstance(row, Mapping) or len(row.get("dimensionValues") or []) != len(dimensions)
                or len(row.get("metricValues") or []) != len(metrics)):
            raise TerminalConnectorError(f"GA4 runReport: row {number} does not have the columns asked")


def _error_response(response: httpx.Response) -> ConnectorError | None:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    return ga4_error(response.status_code, body)
