"""The dashboard pages: each is a server-rendered shell (sidebar, range picker, empty cards and charts) whose
numbers the page's script fetches from the JSON API. Adding a page is one line in PAGES plus its template
and script."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from growthos.core.errors import InvalidInput
from growthos.core.periods import RANGE_PRESETS, resolve_range
from growthos.metrics.catalogue import CATALOGUE
from growthos.security.keys import scope_allows
from growthos.server.auth import SESSION_COOKIE, Principal, identify
from growthos.server.templating import templates
from growthos.store.records import JOB_STATUSES

router = APIRouter()


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    name: str
    """Template templates/<name>.html and script static/js/pages/<name>.js."""
    uses_range: bool = True
    """Whether the page shows the date range picker (its data depends on the range)."""
    all_time: bool = False
    """Whether the picker offers 'All time' (the default when the URL names no range)."""
    metrics: tuple[str, ...] = ()
    """Catalogue metrics the page shows as cards, in order."""
    group: str = "Commerce"
    """The sidebar section the page is listed under."""


SUMMARY_KPIS: tuple[str, ...] = (
    "net_revenue", "orders", "aov", "new_customers", "ad_spend", "mer", "ncac", "conversion_rate",
    "contribution_margin", "refund_rate",
)


PAGES: tuple[Page, ...] = (
    Page("/", "Executive summary", "summary", metrics=SUMMARY_KPIS),
    Page("/channels", "Channels", "channels"),
    Page("/cohorts", "Cohorts", "cohorts", all_time=True),
    Page("/unit-economics", "Unit economics", "unit_economics"),
    Page("/product/trends", "Trends", "product_trends", group="Product"),
    Page("/product/funnels", "Funnel builder", "product_funnels", group="Product"),
    Page("/product/retention", "Retention", "product_retention", group="Product"),
    Page("/product/users", "User lookup", "product_users", uses_range=False, group="Product"),
    Page("/growth/aarrr", "AARRR funnel", "aarrr", group="Growth"),
    Page("/growth/acquisition", "Acquisition and budget", "acquisition", group="Growth"),
    Page("/growth/activation", "Activation", "activation", group="Growth"),
    Page("/growth/loops", "Loops", "loops", group="Growth"),
    Page("/growth/attribution", "Attribution", "attribution", group="Growth"),
    Page("/alerts", "Alerts", "alerts", uses_range=False, group="Intelligence"),
    Page("/snapshots", "Snapshots", "snapshots", uses_range=False, group="Intelligence"),
    Page("/wbr", "Weekly review", "wbr", uses_range=False, group="Intelligence"),
    Page("/performance/vitals", "Web vitals", "perf_vitals", uses_range=False, group="Performance"),
    Page("/performance/ai", "AI calls", "perf_ai", uses_range=False, group="Performance"),
    Page("/performance/database", "Database", "perf_database", uses_range=False, group="Performance"),
    Page("/performance/scaling", "Scaling", "perf_scaling", uses_range=False, group="Performance"),
    Page("/jobs", "Jobs", "jobs", uses_range=False, group="Operations"),
    Page("/connections", "Connections", "connections", uses_range=False, group="Operations"),
)

NAV_GROUPS: tuple[tuple[str, tuple[Page, ...]], ...] = tuple(
    (group, tuple(p for p in PAGES if p.group == group)) for group in dict.fromkeys(p.group for p in PAGES)
)
"""The sidebar: sections in order of their first page, each with its pages."""

PICKER_PRESETS: tuple[str, ...] = ("7d", "14d", "30d", "90d")
DEFAULT_PRESET = "30d"


@dataclass(frozen=True)
class RangeChoice:
    """What the picker shows as selected: a preset ('7d'...), 'all' or 'custom' with its dates."""

    preset: str
    start: date | None
    end: date | None

    @property
    def query(self) -> str:
        """The query string that keeps this range on the sidebar's links ('' for the default)."""
        if self.preset == "custom":
            return f"?from={self.start}&to={self.end}"
        return f"?range={self.preset}" if self.preset not in (DEFAULT_PRESET, "all") else ""


def _range_choice(request: Request, page: Page) -> RangeChoice:
    """The range named by the URL (range=7d or from/to); an unusable one falls back to the page's default."""
    params = request.query_params
    today = request.app.state.growthos.settings.today()
    preset, start, end = params.get("range"), params.get("from"), params.get("to")
    if page.all_time and (preset == "all" or not (preset or start or end)):
        return RangeChoice("all", None, None)
    try:
        if preset in PICKER_PRESETS or (preset in RANGE_PRESETS and not (start or end)):
            rng = resolve_range(None, None, preset, today)
            return RangeChoice(preset, rng.start, rng.end)
        if start and end:
            rng = resolve_range(start, end, None, today)
            return RangeChoice("custom", rng.start, rng.end)
    except InvalidInput:
        pass
    rng = resolve_range(None, None, DEFAULT_PRESET, today)
    return RangeChoice(DEFAULT_PRESET, rng.start, rng.end)


async def _principal(request: Request) -> Principal | None:
    """The caller when it may read, else None (log in again): an expired session, a bad or an ingest key."""
    try:
        principal = await run_in_threadpool(identify, request)
    except HTTPException:
        return None
    return principal if principal is not None and scope_allows(principal.scope, "read") else None


def _login_redirect(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _page_route(page: Page):
    async def render(request: Request) -> Response:
        principal = await _principal(request)
        if principal is None:
            return _login_redirect(request)
        settings = request.app.state.growthos.settings
        choice = _range_choice(request, page)
        context = {
            "page": page,
            "nav_groups": NAV_GROUPS,
            "presets": (("all",) if page.all_time else ()) + PICKER_PRESETS,
            "range": choice,
            "nav_query": choice.query,
            "demo": settings.demo,
            "currency": settings.currency,
            "csrf_token": principal.csrf_token or "",
            "scope": principal.scope,
            "metrics": [CATALOGUE[name] for name in page.metrics],
            "job_statuses": JOB_STATUSES,
        }
        return templates.TemplateResponse(request, f"{page.name}.html", context,
                                          headers={"Cache-Control": "no-store"})

    render.__name__ = f"page_{page.name}"
    return render


for _page in PAGES:
    router.add_api_route(_page.path, _page_route(_page), methods=["GET"], response_class=HTMLResponse,
                         name=f"page_{_page.name}")
