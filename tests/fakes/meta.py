"""Fake Meta Marketing API (Graph API) ads insights: synchronous paging and async report runs.

Protocol facts reproduced:

- ``GET /{version}/act_{ad_account_id}/insights`` with ``access_token`` (query) or ``Authorization: Bearer``;
  ``fields`` (comma list; ``date_start``/``date_stop`` always come back; without ``fields`` Meta's defaults
  ``impressions,spend``), ``level=ad`` and ``time_increment=1`` (required: the fake serves ad x day rows only;
  other values or none → 400 code 100), ``time_range={"since","until"}`` (JSON) or ``date_preset``
  (``today``, ``yesterday``, ``last_Nd``; default ``last_30d``), ``limit`` (default 25).
- Cursor paging: ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next": <full URL>,
  "previous"?}}``; ``next`` carries ``after=`` and the access token; the last page has cursors but no
  ``next``; an empty result is ``{"data": []}``.
- Async runs: ``POST /{version}/act_{id}/insights`` (same parameters, query or form) → ``{"report_run_id"}``;
  ``GET /{version}/{report_run_id}`` → ``{"id", "async_status", "async_percent_completion", ...}`` moving
  through ``Job Not Started`` → ``Job Running`` → ``Job Completed`` (one step per poll; scriptable, e.g.
  ending in ``Job Failed``); ``GET /{version}/{report_run_id}/insights`` pages the results like the sync call.
- Every answer carries ``x-business-use-case-usage: {"<business_id>": [{"type": "ads_insights",
  "call_count", "total_cputime", "total_time", "estimated_time_to_regain_access"}]}`` (percentages of the
  quota; minutes to regain access) and ``x-fb-ads-insights-throttle``.
- Errors are HTTP 400 (403 for code 4) with ``{"error": {"message", "type": "OAuthException", "code",
  "error_subcode"?, "is_transient"?, "fbtrace_id"}}``: throttling codes 4 / 17 / 613 / 80004 (``throttle()``),
  invalid token → 190, expired token → 190 subcode 463 (Meta answers 400, not 401, with a
  ``WWW-Authenticate: OAuth "Facebook Platform" "invalid_token"`` header), unknown account → 100 subcode 33,
  too much data for a sync call → 100 subcode 1487534 (``max_sync_rows``), bad parameters → 100.
- Values are strings (``spend`` "12.34", ``impressions`` "1000"); purchases are in ``actions`` /
  ``action_values`` with ``action_type`` ``purchase`` and ``offsite_conversion.fb_pixel_purchase``, exactly
  as ``growthos.sources.demo.ads`` emits them.

Public API::

    fake = FakeMeta(ad_account_id="1029384756", access_token="meta-test-token", tokens=None,
                    business_id="1122334455", page_size=25, max_sync_rows=None, today=date(2026, 2, 10))
    fake.rows                                    # demo-shaped insights rows
    fake.add_row(ad, day, spend_cents=, impressions=, clicks=, link_clicks=, purchases=, value_cents=)
    fake.update_row(ad_id, day, spend_cents=..., purchases=..., value_cents=...)  # late attribution
    fake.throttle(code=80004, times=1, regain_minutes=5)   # enqueue Meta throttling errors
    fake.usage = {"call_count": 95, "total_cputime": 20, "total_time": 20, "estimated_time_to_regain_access": 0}
    fake.job_script = [("Job Not Started", 0), ("Job Running", 50), ("Job Completed", 100)]  # per poll
    with fake.serve() as base_url: ...           # fake.faults, fake.log as in fakes.server
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fakes.server import FakeService
from fakes.tokens import TokenRegistry, TokenState
from growthos.sources.demo.shopify_shapes import amount

PURCHASE_TYPES = ("purchase", "offsite_conversion.fb_pixel_purchase")
DEFAULT_FIELDS = ["impressions", "spend"]
KNOWN_FIELDS = frozenset({"account_id", "account_currency", "account_name", "campaign_id", "campaign_name",
                          "adset_id", "adset_name", "ad_id", "ad_name", "spend", "impressions", "clicks",
                          "actions", "action_values", "date_start", "date_stop"})
THROTTLES = {
    4: (403, 1504022, "(#4) Application request limit reached"),
    17: (400, 2446079, "(#17) User request limit reached"),
    613: (400, 1487742, "(#613) Calls to this api have exceeded the rate limit."),
    80004: (400, 2446079, "(#80004) There have been too many calls to this ad-account. Wait a bit and try again. "
                          "For more info, please refer to "
                          "https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management."),
}
"""Throttling error code -> (HTTP status, error_subcode, message)."""
DEFAULT_JOB_SCRIPT = [("Job Not Started", 0), ("Job Running", 50), ("Job Completed", 100)]


@dataclass(frozen=True)
class Ad:
    ad_id: str
    ad_name: str
    adset_id: str
    adset_name: str
    campaign_id: str
    campaign_name: str


DEFAULT_ADS = [
    Ad("120210001010001", "Broad - Recipe Reel", "120210000001001", "Broad - US 25-54",
       "120210000000001", "Prospecting - Broad"),
    Ad("120210001010002", "Broad - Meal Kit Carousel", "120210000001001", "Broad - US 25-54",
       "120210000000001", "Prospecting - Broad"),
    Ad("120210002010001", "Retargeting - Cart Reminder", "120210000002001", "Retargeting - Site Visitors 30d",
       "120210000000002", "Retargeting - Site Visitors"),
]


@dataclass
class ReportRun:
    id: str
    rows: list[dict[str, Any]]
    fields: list[str]
    since: str
    until: str
    script: list[tuple[str, int]]
    polls: int = 0

    def status(self) -> tuple[str, int]:
        return self.script[min(self.polls, len(self.script)) - 1] if self.polls else ("Job Not Started", 0)


@dataclass
class _Request:
    fields: list[str]
    since: str
    until: str
    limit: int
    after: int | None = None
    params: dict[str, str] = field(default_factory=dict)


class MetaError(Exception):
    def __init__(self, status: int, code: int, message: str, subcode: int | None = None,
                 transient: bool = False) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.subcode, self.transient = status, code, message, subcode, transient

    def body(self) -> dict[str, Any]:
        return meta_error(self.code, self.message, self.subcode, self.transient)


def meta_error(code: int, message: str, subcode: int | None = None, transient: bool = False) -> dict[str, Any]:
    """Meta's error body: ``{"error": {"message", "type": "OAuthException", "code", ...,"fbtrace_id"}}``."""
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)[:21]
    return {"error": error}


def make_row(account_id: str, ad: Ad, day: date, *, spend_cents: int, impressions: int, clicks: int,
             link_clicks: int = 0, purchases: int = 0, value_cents: int = 0, currency: str = "USD") -> dict[str, Any]:
    """One insights row (level=ad, time_increment=1) in the demo's shape."""
    payload: dict[str, Any] = {
        "account_id": account_id, "account_currency": currency,
        "campaign_id": ad.campaign_id, "campaign_name": ad.campaign_name,
        "adset_id": ad.adset_id, "adset_name": ad.adset_name, "ad_id": ad.ad_id, "ad_name": ad.ad_name,
        "date_start": day.isoformat(), "date_stop": day.isoformat(),
        "spend": amount(spend_cents), "impressions": str(impressions), "clicks": str(clicks),
    }
    _set_conversions(payload, link_clicks, purchases, value_cents)
    return payload


def _set_conversions(payload: dict[str, Any], link_clicks: int, purchases: int, value_cents: int) -> None:
    payload.pop("actions", None)
    payload.pop("action_values", None)
    actions = [{"action_type": "link_click", "value": str(link_clicks)}] if link_clicks else []
    if purchases:
        actions += [{"action_type": t, "value": str(purchases)} for t in PURCHASE_TYPES]
        payload["action_values"] = [{"action_type": t, "value": amount(value_cents)} for t in PURCHASE_TYPES]
    if actions:
        payload["actions"] = actions


def default_rows(account_id: str, start: date = date(2026, 2, 1), days: int = 4) -> list[dict[str, Any]]:
    """3 ads x ``days`` days with hand-checkable values; ads 1 and 3 record purchases on some days."""
    rows = []
    for d in range(days):
        for a, ad in enumerate(DEFAULT_ADS):
            clicks = 30 + 10 * a + d
            purchases = (a + d) % 3 if a != 1 else 0
            rows.append(make_row(account_id, ad, start + timedelta(days=d), spend_cents=2500 + 100 * a + d,
                                 impressions=clicks * 50, clicks=clicks, link_clicks=clicks - 5,
                                 purchases=purchases, value_cents=purchases * 7800))
    return rows


class FakeMeta(FakeService):
    """Meta Graph API ads insights for one ad account."""

    def __init__(self, ad_account_id: str = "1029384756", access_token: str = "meta-test-token",
                 tokens: TokenRegistry | None = None, business_id: str = "1122334455", page_size: int = 25,
                 max_sync_rows: int | None = None, rows: list[dict[str, Any]] | None = None,
                 today: date = date(2026, 2, 10), timezone_name: str = "America/Los_Angeles") -> None:
        super().__init__()
        self.ad_account_id = ad_account_id
        self.account = {"id": f"act_{ad_account_id}", "name": "Forkful Ads", "currency": "USD",
                        "timezone_name": timezone_name}
        """The ad account node (``GET /{version}/act_{id}?fields=name,currency,timezone_name``)."""
        self.tokens = tokens if tokens is not None else TokenRegistry()
        self.access_token = self.tokens.grant(access_token, lifetime=10**9)
        self.business_id = business_id
        self.page_size = page_size
        self.max_sync_rows = max_sync_rows
        self.rows: list[dict[str, Any]] = default_rows(ad_account_id) if rows is None else list(rows)
        self.today = today
        self.usage: dict[str, int] | None = None
        """Overrides the usage header's numbers; None: call_count grows 1 point per call."""
        self.job_script: list[tuple[str, int]] = list(DEFAULT_JOB_SCRIPT)
        self.jobs: dict[str, ReportRun] = {}
        self._calls = 0
        self._lock = threading.Lock()

    # -- fixture
    def add_row(self, ad: Ad, day: date, **values: int) -> dict[str, Any]:
        row = make_row(self.ad_account_id, ad, day, **values)
        self.rows.append(row)
        return row

    def find_row(self, ad_id: str, day: date | str) -> dict[str, Any]:
        day_text = day if isinstance(day, str) else day.isoformat()
        for row in self.rows:
            if row["ad_id"] == ad_id and row["date_start"] == day_text:
                return row
        raise KeyError(f"no insights row for ad {ad_id} on {day_text}")

    def update_row(self, ad_id: str, day: date | str, *, spend_cents: int | None = None,
                   impressions: int | None = None, clicks: int | None = None, purchases: int | None = None,
                   value_cents: int | None = None) -> dict[str, Any]:
        """Change a row after the fact (Meta's late attribution); unspecified values stay as they are."""
        row = self.find_row(ad_id, day)
        if spend_cents is not None:
            row["spend"] = amount(spend_cents)
        if impressions is not None:
            row["impressions"] = str(impressions)
        if clicks is not None:
            row["clicks"] = str(clicks)
        if purchases is not None or value_cents is not None:
            actions = {a["action_type"]: a["value"] for a in row.get("actions", [])}
            values = {a["action_type"]: a["value"] for a in row.get("action_values", [])}
            links = int(actions.get("link_click", 0))
            bought = int(actions.get("purchase", 0)) if purchases is None else purchases
            cents = round(float(values.get("purchase", 0)) * 100) if value_cents is None else value_cents
            _set_conversions(row, links, bought, cents)
        return row

    # -- faults
    def throttle(self, code: int = 80004, times: int = 1, regain_minutes: int = 5) -> None:
        """Enqueue Meta throttling errors (code 4, 17, 613 or 80004) with a usage header at 100%."""
        status, subcode, message = THROTTLES[code]
        usage = {"call_count": 100, "total_cputime": 100, "total_time": 100,
                 "estimated_time_to_regain_access": regain_minutes}
        self.faults.status(status, meta_error(code, message, subcode, transient=True),
                           headers={"x-business-use-case-usage": self._usage_header(usage)}, times=times)

    def error_body(self, status: int) -> Any:
        if status >= 500:
            return meta_error(2, "An unexpected error has occurred. Please retry your request later.",
                              transient=True)
        return meta_error(1, "An unknown error occurred", 99)

    def expired_token_response(self) -> tuple[int, Any]:
        return 400, meta_error(190, "Error validating access token: Session has expired on Monday, 09-Feb-26 "
                                    "10:00:00 PST. The current time is Tuesday, 10-Feb-26 10:00:00 PST.", 463)

    # -- protocol
    def routes(self) -> list[Route]:
        return [
            Route("/{version}/act_{account_id}", self._account_node, methods=["GET"]),
            Route("/{version}/act_{account_id}/insights", self._account_insights, methods=["GET", "POST"]),
            Route("/{version}/{run_id}/insights", self._run_insights, methods=["GET"]),
            Route("/{version}/{run_id}", self._run_status, methods=["GET"]),
        ]

    async def _account_node(self, request: Request) -> Response:
        """The ad account's own fields; unknown accounts get code 100 as Meta answers."""
        try:
            params = await self._params(request)
            self._check_version(request.path_params["version"])
            self._authenticate(request, params)
            if request.path_params["account_id"] != self.ad_account_id:
                raise MetaError(400, 100, "Unsupported get request.", 33)
            fields = params.get("fields", "id").split(",")
            return self._respond({k: v for k, v in self.account.items() if k in fields or k == "id"})
        except MetaError as error:
            return self._fail(error)

    def _usage_header(self, usage: dict[str, int] | None = None) -> str:
        if usage is None:
            usage = self.usage or {"call_count": min(100, self._calls), "total_cputime": min(100, self._calls // 2),
                                   "total_time": min(100, self._calls // 2), "estimated_time_to_regain_access": 0}
        return json.dumps({self.business_id: [{"type": "ads_insights", **usage}]})

    def _respond(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
        with self._lock:
            self._calls += 1
            usage = self._usage_header()
        merged = {"x-business-use-case-usage": usage,
                  "x-fb-ads-insights-throttle": json.dumps({"app_id_util_pct": 0, "acc_id_util_pct": 0,
                                                            "ads_api_access_tier": "standard_access"})}
        merged.update(headers or {})
        return JSONResponse(body, status_code=status, headers=merged)

    def _fail(self, error: MetaError) -> JSONResponse:
        headers = {}
        if error.code == 190:
            headers["www-authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{error.message}"'
        return self._respond(error.body(), error.status, headers)

    async def _params(self, request: Request) -> dict[str, str]:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.form()).items()})
        return params

    def _authenticate(self, request: Request, params: dict[str, str]) -> None:
        token = params.get("access_token")
        header = request.headers.get("authorization", "")
        if token is None and header.lower().startswith(("bearer ", "oauth ")):
            token = header.split(" ", 1)[1].strip()
        if not token:
            raise MetaError(400, 104, "An access token is required to request this resource.")
        state = self.tokens.check(token)
        if state is TokenState.EXPIRED:
            status, body = self.expired_token_response()
            raise MetaError(status, 190, body["error"]["message"], 463)
        if state is not TokenState.VALID:
            raise MetaError(400, 190, "Invalid OAuth access token - Cannot parse access token")

    def _check_version(self, version: str) -> None:
        if not re.fullmatch(r"v\d+\.\d+", version):
            raise MetaError(400, 2500, f"Unknown path components: /{version}")

    async def _account_insights(self, request: Request) -> Response:
        try:
            params = await self._params(request)
            self._check_version(request.path_params["version"])
            self._authenticate(request, params)
            if request.path_params["account_id"] != self.ad_account_id:
                raise MetaError(400, 100, f"Unsupported get request. Object with ID "
                                          f"'act_{request.path_params['account_id']}' does not exist, cannot be "
                                          "loaded due to missing permissions, or does not support this operation.",
                                33)
            query = self._parse(params)
            rows = self._select(query)
            if request.method == "POST":
                return self._respond({"report_run_id": self._start_job(query, rows)})
            if self.max_sync_rows is not None and len(rows) > self.max_sync_rows:
                raise MetaError(400, 100, "Please reduce the amount of data you're asking for, then retry your "
                                          "request", 1487534)
            return self._respond(self._page(request, rows, query))
        except MetaError as error:
            return self._fail(error)

    async def _run_status(self, request: Request) -> Response:
        try:
            params = await self._params(request)
            self._check_version(request.path_params["version"])
            self._authenticate(request, params)
            job = self._job(request.path_params["run_id"])
            with self._lock:
                job.polls += 1
                status, percent = job.status()
            return self._respond({
                "id": job.id, "account_id": self.ad_account_id, "async_status": status,
                "async_percent_completion": percent, "date_start": job.since, "date_stop": job.until,
                "time_ref": 1770000000, "is_running": status in ("Job Not Started", "Job Started", "Job Running"),
            })
        except MetaError as error:
            return self._fail(error)

    async def _run_insights(self, request: Request) -> Response:
        try:
            params = await self._params(request)
            self._check_version(request.path_params["version"])
            self._authenticate(request, params)
            job = self._job(request.path_params["run_id"])
            if job.status()[0] != "Job Completed":
                raise MetaError(400, 100, f"(#100) Report run {job.id} is not complete "
                                          f"(async_status: {job.status()[0]}).")
            query = _Request(job.fields, job.since, job.until, self._limit(params), self._after(params), params)
            return self._respond(self._page(request, job.rows, query))
        except MetaError as error:
            return self._fail(error)

    def _job(self, run_id: str) -> ReportRun:
        job = self.jobs.get(run_id)
        if job is None:
            raise MetaError(400, 100, f"Unsupported get request. Object with ID '{run_id}' does not exist, cannot be "
                                      "loaded due to missing permissions, or does not support this operation.", 33)
        return job

    def _start_job(self, query: _Request, rows: list[dict[str, Any]]) -> str:
        run_id = str(6_000_000_000_000_000 + secrets.randbelow(10**15))
        with self._lock:
            self.jobs[run_id] = ReportRun(run_id, rows, query.fields, query.since, query.until, list(self.job_script))
        return run_id

    # -- request parsing and paging
    def _limit(self, params: dict[str, str]) -> int:
        raw = params.get("limit")
        if raw is None:
            return self.page_size
        if not raw.isdigit() or int(raw) <= 0:
            raise MetaError(400, 100, "(#100) Param limit must be a positive integer")
        return int(raw)

    @staticmethod
    def _after(params: dict[str, str]) -> int | None:
        cursor = params.get("after")
        if cursor is None:
            return None
        try:
            return int(base64.b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        except ValueError as exc:
            raise MetaError(400, 100, "(#100) Invalid cursor") from exc

    def _parse(self, params: dict[str, str]) -> _Request:
        fields = [f.strip() for f in params["fields"].split(",") if f.strip()] if "fields" in params else DEFAULT_FIELDS
        unknown = [f for f in fields if f not in KNOWN_FIELDS]
        if unknown:
            raise MetaError(400, 100, f"(#100) {unknown[0]} is not valid for fields param. please check "
                                      "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ "
                                      "for all valid values")
        # Meta would aggregate (account level, whole range) without these; the fake serves ad x day rows only.
        if params.get("level") != "ad":
            raise MetaError(400, 100, "(#100) this fake serves level=ad only (Meta's default is the object's level)")
        if params.get("time_increment") != "1":
            raise MetaError(400, 100, "(#100) this fake serves time_increment=1 only (Meta's default is all_days)")
        since, until = self._range(params)
        return _Request(fields, since, until, self._limit(params), self._after(params), params)

    def _range(self, params: dict[str, str]) -> tuple[str, str]:
        if "time_range" in params:
            try:
                value = json.loads(params["time_range"])
                since, until = date.fromisoformat(value["since"]), date.fromisoformat(value["until"])
            except (ValueError, KeyError, TypeError) as exc:
                raise MetaError(400, 100, "(#100) Param time_range must be a JSON object with since and until "
                                          "dates in YYYY-MM-DD") from exc
            if since > until:
                raise MetaError(400, 100, "(#100) time_range: since must be before or equal to until")
            return since.isoformat(), until.isoformat()
        preset = params.get("date_preset", "last_30d")
        if preset == "today":
            return self.today.isoformat(), self.today.isoformat()
        if preset == "yesterday":
            day = self.today - timedelta(days=1)
            return day.isoformat(), day.isoformat()
        match = re.fullmatch(r"last_(\d+)d", preset)
        if not match:
            raise MetaError(400, 100, f"(#100) date_preset must be one of the following values: today, yesterday, "
                                      f"last_3d, last_7d, last_14d, last_28d, last_30d, last_90d; got {preset}")
        days = int(match.group(1))
        return (self.today - timedelta(days=days)).isoformat(), (self.today - timedelta(days=1)).isoformat()

    def _select(self, query: _Request) -> list[dict[str, Any]]:
        chosen = [row for row in self.rows if query.since <= row["date_start"] <= query.until]
        chosen.sort(key=lambda row: (row["date_start"], row["ad_id"]))
        keep = [*query.fields, "date_start", "date_stop"]
        return [{k: json.loads(json.dumps(v)) for k, v in row.items() if k in keep} for row in chosen]

    def _page(self, request: Request, rows: list[dict[str, Any]], query: _Request) -> dict[str, Any]:
        start = 0 if query.after is None else query.after + 1
        page = rows[start:start + query.limit]
        if not page:
            return {"data": []}
        last = start + len(page) - 1
        paging: dict[str, Any] = {"cursors": {"before": _cursor(start), "after": _cursor(last)}}
        if last + 1 < len(rows):
            paging["next"] = _with_params(request, query.params, after=_cursor(last), before=None)
        if start > 0:
            paging["previous"] = _with_params(request, query.params, before=_cursor(start), after=None)
        return {"data": page, "paging": paging}


def _cursor(index: int) -> str:
    return base64.b64encode(str(index).encode()).decode().rstrip("=")


def _with_params(request: Request, params: dict[str, str], **changes: str | None) -> str:
    merged = {k: v for k, v in params.items() if k not in changes}
    merged.update({k: v for k, v in changes.items() if v is not None})
    merged.setdefault("access_token", _token_of(request, params))  # Meta's next links carry the token
    return str(request.url.replace(query="").include_query_params(**merged))


def _token_of(request: Request, params: dict[str, str]) -> str:
    header = request.headers.get("authorization", "")
    return params.get("access_token") or header.split(" ", 1)[-1].strip()
