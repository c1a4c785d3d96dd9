"""Fake Google Ads API: ``POST /{version}/customers/{customer_id}/googleAds:searchStream``.

Protocol facts reproduced:

- Headers: ``Authorization: Bearer <token>`` (shared ``TokenRegistry``, scope ``adwords``; missing/unknown/
  expired → 401 ``UNAUTHENTICATED``, wrong scope → 403), ``developer-token`` (missing → 400
  ``requestError: DEVELOPER_TOKEN_PARAMETER_MISSING``, unknown → 403 ``authorizationError:
  DEVELOPER_TOKEN_PROHIBITED``), ``login-customer-id`` (required to equal the manager id when the fake is
  built with one; a customer the caller cannot see → 403 ``authorizationError: USER_PERMISSION_DENIED``).
- Body ``{"query": GAQL}`` parsed by ``fakes.gaql``: selected fields, WHERE conditions (``segments.date
  BETWEEN/DURING/>=/<=``, ``=``, ``IN`` ...), ORDER BY, LIMIT. Invalid GAQL, unknown fields or resources,
  and ``segments.date`` selected without a finite date range → 400 ``INVALID_ARGUMENT`` with a
  ``GoogleAdsFailure`` carrying the ``queryError`` code.
- The answer is a JSON **array** of batches ``{"results": [...], "fieldMask": "...", "requestId": "..."}``
  (at most ``batch_size`` rows each, 10,000 by default; an empty result is one batch without ``results``).
  Rows keep only the selected fields (plus the campaign's ``resourceName``, which the API always returns),
  in lowerCamelCase; int64 values (ids, impressions, clicks, costMicros) are JSON strings. The
  ``request-id`` response header repeats the request id.
- Errors use Google's shape: ``{"error": {"code", "message", "status", "details": [{"@type":
  "type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure", "errors": [{"errorCode":
  {...}, "message", "details": {...}}], "requestId"}]}}``.

Public API::

    fake = FakeGoogleAds(customer_id="1234567890", developer_token="dev-token", tokens=None,
                         access_token="ads-test-token", login_customer_id=None, batch_size=10_000)
    fake.rows                              # demo-shaped payloads (RawRecord.payload of campaign_daily)
    fake.add_row(campaign_id, name, day, impressions=, clicks=, cost_micros=, conversions=, ...)
    fake.set_metrics(campaign_id, day, clicks=..., conversions=...)   # change a row after the fact
    fake.quota_error(daily=False, retry_delay="30s", times=1, in_array=False)  # enqueue a 429
    fake.fail_mid_stream(daily=False)      # next answer: 200, first batch, then an error element
    with fake.serve() as base_url: ...     # fake.faults, fake.log as in fakes.server
"""

from __future__ import annotations

import secrets
import threading
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fakes import gaql
from fakes.google_errors import check_bearer, google_error, unauthenticated
from fakes.server import FakeService
from fakes.tokens import TokenRegistry

SCOPE = "https://www.googleapis.com/auth/adwords"
DEFAULT_VERSION = "v17"
_DEFAULT_CAMPAIGNS = [
    ("2001", "Brand - Forkful", "SEARCH"),
    ("2002", "Search - Generic", "SEARCH"),
    ("2003", "Shopping - Performance Max", "PERFORMANCE_MAX"),
]


def make_row(customer_id: str, campaign_id: str, name: str, day: date, *, impressions: int, clicks: int,
             cost_micros: int, conversions: float = 0.0, conversions_value: float = 0.0,
             status: str = "ENABLED", channel_type: str = "SEARCH", currency: str = "USD") -> dict[str, Any]:
    """One searchStream result in the demo's shape (campaign x segments.date)."""
    return {
        "customer": {"id": customer_id, "currencyCode": currency},
        "campaign": {
            "resourceName": f"customers/{customer_id}/campaigns/{campaign_id}",
            "id": campaign_id, "name": name, "status": status, "advertisingChannelType": channel_type,
        },
        "segments": {"date": day.isoformat()},
        "metrics": {"impressions": str(impressions), "clicks": str(clicks), "costMicros": str(cost_micros),
                    "conversions": float(conversions), "conversionsValue": float(conversions_value)},
    }


def default_rows(customer_id: str, start: date = date(2026, 2, 1), days: int = 5) -> list[dict[str, Any]]:
    """3 campaigns x ``days`` days with hand-checkable values."""
    rows = []
    for d in range(days):
        for c, (campaign_id, name, channel) in enumerate(_DEFAULT_CAMPAIGNS):
            clicks = 40 * (c + 1) + d
            rows.append(make_row(customer_id, campaign_id, name, start + timedelta(days=d),
                                 impressions=clicks * 20, clicks=clicks, cost_micros=clicks * 1_250_000 + 7,
                                 conversions=round(0.5 * (c + d), 2), conversions_value=round(31.25 * (c + d), 2),
                                 channel_type=channel))
    return rows


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        path = f"{prefix}{gaql.snake(key)}"
        if isinstance(value, dict):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


class FakeGoogleAds(FakeService):
    """Google Ads searchStream over campaign-day fixture rows of one customer."""

    def __init__(self, customer_id: str = "1234567890", developer_token: str = "dev-token",
                 tokens: TokenRegistry | None = None, access_token: str = "ads-test-token",
                 login_customer_id: str | None = None, batch_size: int = 10_000,
                 rows: list[dict[str, Any]] | None = None, today: date = date(2026, 2, 10)) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.developer_token = developer_token
        self.tokens = tokens if tokens is not None else TokenRegistry()
        self.access_token = self.tokens.grant(access_token, scopes={SCOPE}, lifetime=10**9)
        self.login_customer_id = login_customer_id
        self.batch_size = batch_size
        self.rows: list[dict[str, Any]] = default_rows(customer_id) if rows is None else list(rows)
        self.today = today
        self._lock = threading.Lock()
        self._mid_stream: list[bool] = []

    # -- fixture
    def add_row(self, campaign_id: str, name: str, day: date, **kwargs: Any) -> dict[str, Any]:
        row = make_row(self.customer_id, campaign_id, name, day, **kwargs)
        self.rows.append(row)
        return row

    def set_metrics(self, campaign_id: str, day: date | str, **metrics: Any) -> dict[str, Any]:
        """Change a stored row's metrics (snake_case or camelCase names), e.g. late conversions."""
        day_text = day if isinstance(day, str) else day.isoformat()
        for row in self.rows:
            if row["campaign"]["id"] == campaign_id and row["segments"]["date"] == day_text:
                for name, value in metrics.items():
                    key = gaql.camel_path(name)[0]
                    if key not in row["metrics"]:
                        raise KeyError(name)
                    row["metrics"][key] = str(value) if isinstance(row["metrics"][key], str) else float(value)
                return row
        raise KeyError(f"no row for campaign {campaign_id} on {day_text}")

    # -- fault helpers
    def quota_failure(self, version: str = DEFAULT_VERSION, daily: bool = False, retry_delay: str = "30s",
                      request_id: str | None = None) -> dict[str, Any]:
        """The 429 body: ``RESOURCE_TEMPORARILY_EXHAUSTED`` (rate, retry after ``retry_delay``) or, with
        ``daily``, ``RESOURCE_EXHAUSTED`` (the developer token's daily operations quota)."""
        code = "RESOURCE_EXHAUSTED" if daily else "RESOURCE_TEMPORARILY_EXHAUSTED"
        details = {"rateScope": "DEVELOPER" if daily else "ACCOUNT",
                   "rateName": "Number of operations for basic access" if daily else "Requests per service per method",
                   "retryDelay": "86400s" if daily else retry_delay}
        message = ("Too many requests for this developer token today." if daily
                   else f"Too many requests. Retry in {retry_delay.rstrip('s')} seconds.")
        return google_error(429, "Resource has been exhausted (e.g. check quota).", [self._failure(
            version, {"quotaError": code}, message, request_id, {"quotaErrorDetails": details})])

    def quota_error(self, *, daily: bool = False, retry_delay: str = "30s", times: int = 1, in_array: bool = False,
                    version: str = DEFAULT_VERSION) -> None:
        """Enqueue HTTP 429 answers in Google Ads' quota error shape (optionally wrapped in the stream array)."""
        body: Any = self.quota_failure(version, daily, retry_delay)
        self.faults.status(429, [body] if in_array else body, times=times, path=r"googleAds:search")

    def fail_mid_stream(self, daily: bool = False) -> None:
        """The next searchStream answers HTTP 200 with its first batch followed by a quota error element."""
        with self._lock:
            self._mid_stream.append(daily)

    # -- protocol
    def routes(self) -> list[Route]:
        return [Route("/{version}/customers/{customer_id}/googleAds:searchStream", self._search_stream,
                      methods=["POST"])]

    def error_body(self, status: int) -> Any:
        if status == 429:
            return self.quota_failure()
        return google_error(status)

    def expired_token_response(self) -> tuple[int, Any]:
        return unauthenticated()

    @staticmethod
    def _failure(version: str, error_code: dict[str, str], message: str, request_id: str | None = None,
                 details: dict[str, Any] | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"errorCode": error_code, "message": message}
        if details:
            error["details"] = details
        return {"@type": f"type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure",
                "errors": [error], "requestId": request_id or _request_id()}

    def _ads_error(self, status: int, version: str, error_code: dict[str, str], message: str,
                   top_message: str | None = None) -> JSONResponse:
        body = google_error(status, top_message or _TOP_MESSAGES.get(status),
                            [self._failure(version, error_code, message)])
        return JSONResponse(body, status_code=status)

    async def _search_stream(self, request: Request) -> JSONResponse:
        version = request.path_params["version"]
        denied = check_bearer(request, self.tokens, SCOPE, "googleads.googleapis.com")
        if denied is not None:
            return denied
        developer_token = request.headers.get("developer-token")
        if not developer_token:
            return self._ads_error(400, version, {"requestError": "DEVELOPER_TOKEN_PARAMETER_MISSING"},
                                   "Developer token parameter is missing.")
        if developer_token != self.developer_token:
            return self._ads_error(403, version, {"authorizationError": "DEVELOPER_TOKEN_PROHIBITED"},
                                   "Developer token is not allowed with the project sent in the request.")
        customer_id = request.path_params["customer_id"]
        login = request.headers.get("login-customer-id")
        if customer_id != self.customer_id or (self.login_customer_id is not None
                                               and login != self.login_customer_id):
            return self._ads_error(403, version, {"authorizationError": "USER_PERMISSION_DENIED"},
                                   "User doesn't have permission to access customer. Note: If you're accessing a "
                                   "client customer, the manager's customer id must be set in the "
                                   "'login-customer-id' header.")
        try:
            body = await request.json()
            query_text = body["query"]
            if not isinstance(query_text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return self._ads_error(400, version, {"requestError": "INVALID_INPUT"},
                                   "Invalid JSON payload received: expected {\"query\": \"...\"}.")
        try:
            query = gaql.parse(query_text)
            results = self.search(query)
        except gaql.GaqlError as exc:
            return self._ads_error(400, version, {"queryError": exc.code}, str(exc))
        request_id = _request_id()
        mask = ",".join(".".join(gaql.camel_path(f)) for f in query.fields)
        batches: list[dict[str, Any]] = []
        for start in range(0, len(results), self.batch_size):
            batches.append({"results": results[start:start + self.batch_size], "fieldMask": mask,
                            "requestId": request_id})
        if not batches:
            batches.append({"fieldMask": mask, "requestId": request_id})
        with self._lock:
            mid_stream = self._mid_stream.pop(0) if self._mid_stream else None
        if mid_stream is not None:
            batches = batches[:1] + [self.quota_failure(version, mid_stream, request_id=request_id)]
        return JSONResponse(batches, headers={"request-id": request_id})

    def search(self, query: gaql.Query) -> list[dict[str, Any]]:
        """The result rows for a parsed query (raises GaqlError as the API would reject it)."""
        if query.resource != "campaign":
            raise gaql.GaqlError("BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                                 f"Error in query: unsupported resource {query.resource!r} in FROM clause.")
        flat_rows = [_flatten(row) for row in self.rows]
        known = set().union(*flat_rows) if flat_rows else set()
        known |= set(_flatten(make_row("0", "0", "", date(2000, 1, 1), impressions=0, clicks=0, cost_micros=0)))
        for name in [*query.fields, *(c.field for c in query.conditions), *(f for f, _ in query.order_by)]:
            if name not in known:
                raise gaql.GaqlError("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
        if "segments.date" in query.fields and gaql.date_bounds(query.conditions) != (True, True):
            raise gaql.GaqlError("EXPECTED_FILTERS_ON_DATE_RANGE",
                                 "Error in query: segments.date is selected but the WHERE clause does not filter "
                                 "on a finite date range.")
        for c in query.conditions:
            if c.field == "segments.date" and c.op == "BETWEEN" and str(c.values[0]) > str(c.values[1]):
                raise gaql.GaqlError("DATE_RANGE_TOO_NARROW", "Error in query: start date after end date.")
        chosen = [(row, flat) for row, flat in zip(self.rows, flat_rows, strict=True)
                  if all(gaql.matches(c, flat.get(c.field), self.today) for c in query.conditions)]
        for name, desc in reversed(query.order_by):
            chosen.sort(key=lambda pair, n=name: _sort_key(pair[1].get(n)), reverse=desc)
        if query.limit is not None:
            chosen = chosen[:query.limit]
        return [_project(row, query.fields) for row, _ in chosen]


_TOP_MESSAGES = {400: "Request contains an invalid argument.",
                 403: "The caller does not have permission",
                 429: "Resource has been exhausted (e.g. check quota)."}


def _sort_key(value: Any) -> tuple[int, Any]:
    try:
        return 0, float(value)
    except (TypeError, ValueError):
        return 1, str(value)


def _project(row: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The row restricted to the selected fields, plus campaign.resourceName."""
    out: dict[str, Any] = {"campaign": {"resourceName": row["campaign"]["resourceName"]}}
    for name in fields:
        path = gaql.camel_path(name)
        source: Any = row
        for part in path:
            source = source[part]
        target = out
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = source
    return {key: out[key] for key in ("customer", "campaign", "segments", "metrics") if key in out}


def _request_id() -> str:
    return secrets.token_urlsafe(16)[:22]
