"""/api/snapshots: take (admin), list and read immutable KPI snapshots; diff two of them with health score and
insights; /api/explain: each channel's or campaign's contribution to a KPI's change between two ranges."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from growthos.analysis.explain import explain
from growthos.analysis.insights import diff_report
from growthos.analysis.snapshot_store import load_snapshot, save_snapshot
from growthos.analysis.snapshots import take_snapshot
from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange, parse_date
from growthos.server.api.params import (
    ADMIN,
    INT64_MAX,
    READ,
    READ_RESPONSES,
    WAREHOUSE_RESPONSES,
    problem_response,
    requested_range,
    server_state,
    warehouse,
)

router = APIRouter(tags=["snapshots"])

NOT_FOUND = {404: problem_response("No such snapshot (or none taken yet)")}


class SnapshotRequest(BaseModel):
    period: Literal["day", "week", "month", "quarter"] = Field(description="The kind of period.")
    end: str | None = Field(None, description="A day of the period (YYYY-MM-DD); default the last complete one.",
                            examples=["2026-02-08"])


@router.post("/snapshots", status_code=201, dependencies=ADMIN, responses={**WAREHOUSE_RESPONSES},
             summary="Take a snapshot of a complete period and store it (as `growthos snapshot create --json`)")
def create_snapshot(request: Request, body: SnapshotRequest) -> JSONResponse:
    state = server_state(request)
    end = parse_date(body.end, "end") if body.end is not None else None
    with warehouse(state) as engine:
        snapshot = take_snapshot(engine, state.settings, body.period, end)
    saved = save_snapshot(state.workspace.store, snapshot)
    return JSONResponse(saved.to_dict(), status_code=201)


@router.get("/snapshots", dependencies=READ, responses=READ_RESPONSES, summary="Stored snapshots, newest first")
def list_snapshots(
    request: Request,
    period: Annotated[Literal["day", "week", "month", "quarter"] | None, Query(description="Only this kind.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
) -> dict[str, Any]:
    rows = server_state(request).workspace.store.list_snapshots(period, limit, offset)
    return {"snapshots": [r.summary() for r in rows]}


Ref = Annotated[str, Query(description="A snapshot id, `latest` or `previous`.", examples=["previous"])]


@router.get("/snapshots/diff", dependencies=READ, responses={**READ_RESPONSES, **NOT_FOUND},
            summary="Diff of two snapshots (b against base a): per-metric significance, health score, insights")
def snapshots_diff(request: Request, a: Ref = "previous", b: Ref = "latest") -> dict[str, Any]:
    store = server_state(request).workspace.store
    return diff_report(load_snapshot(store, a, "a"), load_snapshot(store, b, "b"))


@router.get("/snapshots/{snapshot_id}", dependencies=READ, responses={**READ_RESPONSES, **NOT_FOUND},
            summary="One snapshot with every KPI, the AARRR counts and the breakdowns")
def get_snapshot(request: Request, snapshot_id: Annotated[int, Path(ge=1, le=INT64_MAX)]) -> dict[str, Any]:
    return load_snapshot(server_state(request).workspace.store, snapshot_id).to_dict()


def _compare_range(request: Request, compare_from: str | None, compare_to: str | None, rng: DateRange) -> DateRange:
    if compare_from is None and compare_to is None:
        return rng.previous()
    if compare_from is None or compare_to is None:
        raise InvalidInput("give both compare_from and compare_to (or neither)",
                           field="compare_from" if compare_from is None else "compare_to")
    compare = requested_range(request, compare_from, compare_to, None)
    return compare


@router.get("/explain", dependencies=READ, responses=WAREHOUSE_RESPONSES,
            summary="Each channel's or campaign's contribution to a KPI's change between two ranges")
def explain_change(
    request: Request,
    metric: Annotated[str, Query(description="A catalogue metric (additive or ratio).", examples=["net_revenue"])],
    start: Annotated[str | None, Query(alias="from", description="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last day, YYYY-MM-DD.")] = None,
    compare_from: Annotated[str | None, Query(description="First day of the base range (default: the "
                                                          "previous range of equal length).")] = None,
    compare_to: Annotated[str | None, Query(description="Last day of the base range.")] = None,
    by: Annotated[Literal["channel", "campaign", "segment"], Query(description="Group by.")] = "channel",
) -> dict[str, Any]:
    state = server_state(request)
    rng = requested_range(request, start, end, None)
    compare = _compare_range(request, compare_from, compare_to, rng)
    with warehouse(state) as engine:
        return explain(engine, metric, rng, compare, by, state.workspace.last_full_day).to_dict()


