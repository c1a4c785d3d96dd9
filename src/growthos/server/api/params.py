"""What the API routes share: the server state, date-range and metric-list query parameters, a warehouse
reader that refuses an unbuilt warehouse, and the problem-details responses documented in OpenAPI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPBearer
from pydantic import BaseModel

from growthos.core.errors import InvalidInput, NotFound
from growthos.core.periods import RANGE_PRESETS, DateRange, resolve_range
from growthos.server.auth import require_admin, require_read
from growthos.server.problems import PROBLEM_JSON
from growthos.server.state import ServerState
from growthos.warehouse.engine import Engine

# Documents the bearer scheme in OpenAPI (auto_error=False: the require_* dependencies decide access).
bearer_scheme = HTTPBearer(auto_error=False, description="An API key: 'Authorization: Bearer gos_<scope>_...'.")

INT64_MAX = 2**63 - 1
"""The largest id or offset the app database holds (a signed 64-bit integer): larger ones are a 422, not a 500."""

READ = [Depends(require_read), Depends(bearer_scheme)]
"""Router dependencies of every read route (authentication runs before any parameter is parsed)."""
ADMIN = [Depends(require_admin), Depends(bearer_scheme)]


class InvalidParam(BaseModel):
    name: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details (media type application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    invalid_params: list[InvalidParam] | None = None


def problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}}


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_response("No, unknown or malformed credentials (with WWW-Authenticate)"),
    403: problem_response("The key's scope does not allow this"),
}
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    422: problem_response("Invalid input; invalid_params names each bad parameter"),
}
WAREHOUSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    404: problem_response("The warehouse has not been built yet"),
}


def server_state(request: Request) -> ServerState:
    return request.app.state.growthos


@contextmanager
def warehouse(state: ServerState) -> Iterator[Engine]:
    """This request's warehouse reader; NotFound (404) while the warehouse has never been built."""
    with state.reader() as engine:
        if not engine.table_exists("fact_orders"):
            raise NotFound("the warehouse has not been built yet: run `growthos build` or POST /api/builds")
        yield engine


_PRESETS = ", ".join(RANGE_PRESETS)
FromParam = Annotated[str | None, Query(alias="from", description="First day, YYYY-MM-DD (with `to`).",
                                        examples=["2026-01-11"])]
ToParam = Annotated[str | None, Query(alias="to", description="Last day, YYYY-MM-DD (with `from`).",
                                      examples=["2026-02-09"])]
RangeParam = Annotated[str | None, Query(alias="range", description=f"A preset ending on the last full day: "
                                         f"{_PRESETS} (instead of from/to; default 30d).", examples=["30d"])]
MetricsParam = Annotated[str | None, Query(description="Comma-separated catalogue metric names (default: all).",
                                           examples=["net_revenue,orders,aov"])]


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _strict_day(value: str | None, field: str) -> None:
    # date.fromisoformat also takes 20260101 and 2026-W05-1; the API promises YYYY-MM-DD only.
    if value is not None and not _ISO_DAY.fullmatch(value):
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise InvalidInput(f"{field} must be a date as YYYY-MM-DD, got {shown!r}", field=field)


def requested_range(request: Request, start: str | None, end: str | None, preset: str | None) -> DateRange:
    """The range from/to or a preset names (default the last 30 full days); 422 naming the parameter."""
    if preset is None:
        _strict_day(start, "from")
        _strict_day(end, "to")
    return resolve_range(start, end, preset, server_state(request).settings.today())


def date_range(request: Request, start: FromParam = None, end: ToParam = None, preset: RangeParam = None
               ) -> DateRange:
    """The range of the from/to/range query parameters."""
    return requested_range(request, start, end, preset)


def optional_date_range(request: Request, start: FromParam = None, end: ToParam = None, preset: RangeParam = None
                        ) -> DateRange | None:
    """Like date_range, but None when no range was asked for."""
    if start is None and end is None and preset is None:
        return None
    return date_range(request, start, end, preset)


Range = Annotated[DateRange, Depends(date_range)]
OptionalRange = Annotated[DateRange | None, Depends(optional_date_range)]
