"""Fake GA4 Data API: ``POST /v1beta/properties/{property_id}:runReport``.

Protocol facts reproduced:

- Auth: ``Authorization: Bearer <token>`` checked against a shared ``TokenRegistry`` (scope
  ``analytics.readonly``); missing/unknown/expired → 401 ``UNAUTHENTICATED``; a token without the scope →
  403 ``PERMISSION_DENIED``; another property → 403 ``PERMISSION_DENIED``.
- Body: ``dateRanges`` (``YYYY-MM-DD``, ``today``, ``yesterday``, ``NdaysAgo``; with several ranges a
  ``dateRange`` dimension is appended, values ``date_range_0``...), ``dimensions``/``metrics``
  (``[{"name"}]``), ``limit``/``offset`` as JSON strings or numbers (int64), ``limit`` default 10,000 and
  capped at 250,000, ``returnPropertyQuota``.
- Unknown dimension or metric names → 400 ``INVALID_ARGUMENT`` naming the field.
- Response: ``dimensionHeaders``, ``metricHeaders`` (with ``type``), ``rows`` of
  ``{"dimensionValues":[{"value"}],"metricValues":[{"value"}]}`` (all values strings, dates YYYYMMDD),
  ``rowCount`` = total rows regardless of ``limit``/``offset``, ``metadata`` (currencyCode, timeZone),
  ``kind: "analyticsData#runReport"``, ``propertyQuota`` when asked. Like the real API (proto3 JSON), an
  empty report omits ``rows`` and ``rowCount``; a page past the end omits ``rows`` but keeps ``rowCount``.
- Rows are aggregated over the dimensions a request leaves out and sorted by dimension values, so paging
  with ``offset`` covers every row once.
- Quota: each request costs ``tokens_per_request`` property tokens; once ``tokens_per_day`` is spent the
  API answers 429 ``RESOURCE_EXHAUSTED`` ("Exhausted property tokens per day ...").

Public API::

    fake = FakeGA4(property_id="123456789", tokens=None, access_token="ga4-test-token")
    fake.rows                       # list of stored rows (the demo's payload shape, all 4 dimensions)
    fake.add_row(day, source, medium, campaign, sessions=..., purchaseRevenue="12.50", ...)
    fake.set_rows(payloads)         # replace the fixture with demo-shaped payloads (RawRecord.payload)
    fake.tokens_per_day = 200       # quota; fake.tokens_consumed
    with fake.serve() as base_url: ...   # fake.faults, fake.log as in fakes.server
"""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fakes.google_errors import check_bearer, google_error, unauthenticated
from fakes.server import FakeService
from fakes.tokens import TokenRegistry

SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
DIMENSIONS = ["date", "sessionSource", "sessionMedium", "sessionCampaignName"]
METRIC_TYPES = {
    "sessions": "TYPE_INTEGER",
    "totalUsers": "TYPE_INTEGER",
    "engagedSessions": "TYPE_INTEGER",
    "addToCarts": "TYPE_INTEGER",
    "checkouts": "TYPE_INTEGER",
    "ecommercePurchases": "TYPE_INTEGER",
    "purchaseRevenue": "TYPE_CURRENCY",
}
"""Metrics in the order of growthos.sources.ga4_report.METRICS, with the type GA4 reports for each."""
METRICS = list(METRIC_TYPES)
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 250_000
SCHEMA_URL = "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"

_DEFAULT_COMBOS = [
    ("google", "cpc", "Brand - Forkful"),
    ("facebook", "paid_social", "Prospecting - Broad"),
    ("(direct)", "(none)", "(direct)"),
    ("newsletter", "email", "weekly-recipes"),
]


def default_rows(start: date = date(2026, 2, 1), days: int = 3) -> list[dict[str, Any]]:
    """A small deterministic fixture: ``days`` days x 4 source/medium/campaign rows, hand-checkable values."""
    rows = []
    for d in range(days):
        day = start + timedelta(days=d)
        for c, (source, medium, campaign) in enumerate(_DEFAULT_COMBOS):
            sessions = 100 * (c + 1) + 10 * d
            purchases = c + d
            rows.append(make_row(day, source, medium, campaign, sessions=sessions, totalUsers=sessions - 10,
                                 engagedSessions=sessions // 2, addToCarts=4 * purchases + 2,
                                 checkouts=2 * purchases + 1, ecommercePurchases=purchases,
                                 purchaseRevenue=f"{purchases * 62}.{(c * 7 + d) % 100:02d}"))
    return rows


def make_row(day: date, source: str, medium: str, campaign: str, **metrics: int | str) -> dict[str, Any]:
    """One runReport row in the demo's shape (values as strings; unspecified metrics are "0")."""
    unknown = set(metrics) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown GA4 metrics {sorted(unknown)}")
    return {
        "dimensionValues": [{"value": v} for v in (day.strftime("%Y%m%d"), source, medium, campaign)],
        "metricValues": [{"value": str(metrics.get(name, "0"))} for name in METRICS],
    }


class FakeGA4(FakeService):
    """The GA4 Data API's runReport for one property, over a fixture of demo-shaped rows."""

    def __init__(self, property_id: str = "123456789", tokens: TokenRegistry | None = None,
                 access_token: str = "ga4-test-token", rows: list[dict[str, Any]] | None = None,
                 today: date = date(2026, 2, 10), currency: str = "USD", time_zone: str = "America/New_York",
                 tokens_per_day: int = 200_000, tokens_per_request: int = 10) -> None:
        super().__init__()
        self.property_id = property_id
        self.tokens = tokens if tokens is not None else TokenRegistry()
        self.access_token = self.tokens.grant(access_token, scopes={SCOPE}, lifetime=10**9)
        self.rows: list[dict[str, Any]] = default_rows() if rows is None else list(rows)
        self.today = today
        self.currency = currency
        self.time_zone = time_zone
        self.tokens_per_day = tokens_per_day
        self.tokens_per_request = tokens_per_request
        self.tokens_consumed = 0
        self._lock = threading.Lock()

    # -- fixture
    def add_row(self, day: date, source: str, medium: str, campaign: str, **metrics: int | str) -> dict[str, Any]:
        row = make_row(day, source, medium, campaign, **metrics)
        self.rows.append(row)
        return row

    def set_rows(self, payloads: list[dict[str, Any]]) -> None:
        self.rows = list(payloads)

    # -- protocol
    def routes(self) -> list[Route]:
        return [Route("/v1beta/properties/{property_id}:runReport", self._run_report, methods=["POST"])]

    def error_body(self, status: int) -> Any:
        if status == 429:
            return google_error(429, "Exhausted property tokens per hour for a property. Please wait until the "
                                     "quota refreshes or reduce the number of requests.")
        return google_error(status)

    def expired_token_response(self) -> tuple[int, Any]:
        return unauthenticated()

    async def _run_report(self, request: Request) -> JSONResponse:
        denied = check_bearer(request, self.tokens, SCOPE, "analyticsdata.googleapis.com")
        if denied is not None:
            return denied
        if request.path_params["property_id"] != self.property_id:
            return _error(403, "User does not have sufficient permissions for this property. To learn more about "
                               "Property ID, see https://developers.google.com/analytics/devguides/reporting/"
                               "data/v1/property-id.")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "Invalid JSON payload received.")
        if not isinstance(body, dict):
            return _error(400, "Invalid JSON payload received. Expected an object.")
        with self._lock:
            if self.tokens_consumed + self.tokens_per_request > self.tokens_per_day:
                return _error(429, "Exhausted property tokens per day for a property. Please wait until the quota "
                                   "refreshes (at midnight Pacific time) or reduce the number of requests.")
            self.tokens_consumed += self.tokens_per_request
        try:
            report = self.report(body)
        except ReportError as exc:
            return _error(400, str(exc))
        return JSONResponse(report)

    def report(self, body: dict[str, Any]) -> dict[str, Any]:
        """The runReport response for a request body (raises ReportError for an invalid request)."""
        dims = _names(body.get("dimensions", []), "dimensions")
        metrics = _names(body.get("metrics", []), "metrics")
        for name in dims:
            if name not in DIMENSIONS and name != "dateRange":
                raise ReportError(f"Field {name} is not a valid dimension. For a list of valid dimensions and "
                                  f"metrics, see {SCHEMA_URL} ")
        for name in metrics:
            if name not in METRIC_TYPES:
                raise ReportError(f"Field {name} is not a valid metric. For a list of valid dimensions and "
                                  f"metrics, see {SCHEMA_URL} ")
        if not metrics and not dims:
            raise ReportError("At least one dimension or metric is required.")
        ranges = body.get("dateRanges") or []
        if not ranges:
            raise ReportError("dateRanges is required.")
        if len(ranges) > 4:
            raise ReportError("Requests are limited to 4 dateRanges.")
        limit = _int64(body.get("limit", 0), "limit") or DEFAULT_LIMIT
        offset = _int64(body.get("offset", 0), "offset")
        if limit < 0 or offset < 0:
            raise ReportError("limit and offset must be non-negative.")
        limit = min(limit, MAX_LIMIT)
        if len(ranges) > 1 and "dateRange" not in dims:
            dims = dims + ["dateRange"]
        grouped: dict[tuple[str, ...], list[Decimal]] = {}
        originals: dict[tuple[str, ...], list[str] | None] = {}
        for index, date_range in enumerate(ranges):
            start, end = self._date(date_range.get("startDate"), "startDate"), self._date(date_range.get("endDate"),
                                                                                       "endDate")
            if start > end:
                raise ReportError("The startDate must be no later than the endDate.")
            for row in self.rows:
                values = [v["value"] for v in row["dimensionValues"]]
                if not start.strftime("%Y%m%d") <= values[0] <= end.strftime("%Y%m%d"):
                    continue
                by_name = dict(zip(DIMENSIONS, values, strict=True))
                by_name["dateRange"] = f"date_range_{index}"
                key = tuple(by_name[d] for d in dims)
                strings = [row["metricValues"][METRICS.index(m)]["value"] for m in metrics]
                numbers = [Decimal(v) for v in strings]
                totals = grouped.get(key)
                grouped[key] = numbers if totals is None else [a + b for a, b in zip(totals, numbers, strict=True)]
                originals[key] = strings if totals is None else None  # a single source row keeps its strings
        keys = sorted(grouped)
        page = keys[offset: offset + limit]
        response: dict[str, Any] = {
            "dimensionHeaders": [{"name": d} for d in dims],
            "metricHeaders": [{"name": m, "type": METRIC_TYPES[m]} for m in metrics],
        }
        if page:
            response["rows"] = [{"dimensionValues": [{"value": v} for v in key],
                                 "metricValues": [{"value": v} for v in _values(grouped[key], originals[key])]}
                                for key in page]
        if keys:
            response["rowCount"] = len(keys)
        response["metadata"] = {"currencyCode": self.currency, "timeZone": self.time_zone}
        if body.get("returnPropertyQuota"):
            response["propertyQuota"] = self._quota()
        response["kind"] = "analyticsData#runReport"
        return response

    def _date(self, value: Any, field: str) -> date:
        if not isinstance(value, str):
            raise ReportError(f"dateRanges.{field} is required.")
        if value == "today":
            return self.today
        if value == "yesterday":
            return self.today - timedelta(days=1)
        match = re.fullmatch(r"(\d+)daysAgo", value)
        if match:
            return self.today - timedelta(days=int(match.group(1)))
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        raise ReportError(f"Invalid dateRanges.{field}: {value!r}; expected YYYY-MM-DD, NdaysAgo, yesterday or today.")

    def _quota(self) -> dict[str, Any]:
        def status(consumed: int, remaining: int) -> dict[str, int]:
            return {"consumed": consumed, "remaining": remaining}

        return {
            "tokensPerDay": status(self.tokens_per_request, max(0, self.tokens_per_day - self.tokens_consumed)),
            "tokensPerHour": status(self.tokens_per_request, 40_000),
            "concurrentRequests": status(0, 10),
            "serverErrorsPerProjectPerHour": status(0, 10),
            "potentiallyThresholdedRequestsPerHour": status(0, 120),
            "tokensPerProjectPerHour": status(self.tokens_per_request, 14_000),
        }


class ReportError(ValueError):
    """An invalid runReport request (answered 400 INVALID_ARGUMENT)."""


def _error(code: int, message: str) -> JSONResponse:
    return JSONResponse(google_error(code, message), status_code=code)


def _names(items: Any, field: str) -> list[str]:
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        raise ReportError(f"Invalid value at '{field}': expected a list of objects with a name.")
    return [i["name"] for i in items]


def _int64(value: Any, field: str) -> int:
    """int64 fields arrive as JSON strings or numbers, as proto3 JSON allows."""
    if isinstance(value, bool):
        raise ReportError(f"Invalid value at '{field}' (TYPE_INT64), {value}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    raise ReportError(f'Invalid value at \'{field}\' (TYPE_INT64), "{value}"')


def _values(numbers: list[Decimal], originals: list[str] | None) -> list[str]:
    return originals if originals is not None else [_number(n) for n in numbers]


def _number(value: Decimal) -> str:
    """A summed metric as GA4 writes it: integers without a decimal point, amounts as plain decimals."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")
