"""/api/loops: growth-loop definitions (CRUD: loops.yaml's and the API's), each loop's metrics, executions and
bottlenecks over a range, and the system-action ledger. Reads need a read key; every write needs an admin key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from growthos.analysis.loops import service
from growthos.core.periods import DateRange
from growthos.server.api.params import (
    ADMIN,
    AUTH_RESPONSES,
    READ,
    READ_RESPONSES,
    Range,
    problem_response,
    server_state,
)
from growthos.store.loops import ACTION_STATUSES

router = APIRouter(tags=["loops"], responses=AUTH_RESPONSES)

LoopName = Annotated[str, Path(max_length=64, description="The loop's name.", examples=["invite"])]
_NOT_FOUND = {404: problem_response("No loop with this name")}
_INVALID = {422: problem_response("Invalid definition; invalid_params names the field (steps[1].next[0]...)")}
_DEFINITION = Body(description="A loop definition as in loops.yaml (docs/growth/loops.md): name, type, steps "
                   "(name, event, where, actor, match, after, next, system_action), triggers (name, event, where, "
                   "frequency, delay, target_step), status, window, target_cycle_time, value...",
                   examples=[{"name": "share", "type": "content", "steps": [
                       {"name": "generated", "event": "Recipe Generated"},
                       {"name": "saved", "event": "Recipe Saved", "match": ["recipe_id"]}]}])


def _ws(request: Request) -> Any:
    return server_state(request).workspace


def _with_reader(request: Request, call: Any, name: str | None, rng: DateRange, **kwargs: Any) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:
        if name is None:
            return call(state.workspace, engine, rng, **kwargs)
        return call(state.workspace, engine, name, rng, **kwargs)


@router.get("/loops", summary="Every loop in force (loops.yaml and the API's)", dependencies=READ)
def list_loops(request: Request) -> dict[str, Any]:
    return {"loops": [loop.to_dict() for loop in service.list_loops(_ws(request))]}


@router.get("/loops/overview", summary="Every loop with its metrics and bottlenecks over a range",
            dependencies=READ, responses=READ_RESPONSES)
def overview(request: Request, rng: Range) -> dict[str, Any]:
    return _with_reader(request, service.loops_overview, None, rng)


@router.get("/loops/actions", summary="System actions (webhooks) newest first, with every attempt",
            dependencies=READ, responses=READ_RESPONSES)
def actions(
    request: Request,
    loop: Annotated[str | None, Query(max_length=64, description="Only this loop's actions.")] = None,
    status: Annotated[str | None, Query(description=f"One of {', '.join(ACTION_STATUSES)}.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many actions.")] = 100,
) -> dict[str, Any]:
    return service.loop_actions_report(_ws(request), loop=loop or None, status=status or None, limit=limit)


@router.post("/loops", status_code=201, summary="Create a loop", dependencies=ADMIN,
             responses={**_INVALID, 409: problem_response("A loop with this name exists")})
def create_loop(request: Request, body: Annotated[dict[str, Any], _DEFINITION]) -> JSONResponse:
    loop = service.create_loop(_ws(request), body)
    return JSONResponse(loop.to_dict(), status_code=201, headers={"Location": f"/api/loops/{loop.name}"})


@router.get("/loops/{name}", summary="One loop's definition (webhook URLs masked)", dependencies=READ,
            responses=_NOT_FOUND)
def get_loop(request: Request, name: LoopName) -> dict[str, Any]:
    return service.get_loop(_ws(request), name).to_dict()


@router.put("/loops/{name}", summary="Replace a loop (overrides a loops.yaml loop of that name)",
            dependencies=ADMIN, responses={**_NOT_FOUND, **_INVALID})
def replace_loop(request: Request, name: LoopName, body: Annotated[dict[str, Any], _DEFINITION]) -> dict[str, Any]:
    return service.replace_loop(_ws(request), name, body).to_dict()


@router.delete("/loops/{name}", status_code=204, summary="Delete a loop saved through the API", dependencies=ADMIN,
               responses={**_NOT_FOUND, 409: problem_response("The loop comes from loops.yaml")})
def delete_loop(request: Request, name: LoopName) -> Response:
    service.delete_loop(_ws(request), name)
    return Response(status_code=204)


@router.get("/loops/{name}/metrics", summary="A loop's metrics and step conversions over a range",
            dependencies=READ, responses={**READ_RESPONSES, **_NOT_FOUND})
def metrics(request: Request, name: LoopName, rng: Range) -> dict[str, Any]:
    return _with_reader(request, service.loop_metrics_report, name, rng)


@router.get("/loops/{name}/bottlenecks", summary="Steps converting below the loop's threshold, with likely "
            "causes, opportunities and recommendations", dependencies=READ, responses={**READ_RESPONSES, **_NOT_FOUND})
def bottlenecks(request: Request, name: LoopName, rng: Range) -> dict[str, Any]:
    return _with_reader(request, service.loop_bottlenecks_report, name, rng)


@router.get("/loops/{name}/executions", summary="The loop's cycles started in a range, newest first: each step "
            "reached, by whom and when", dependencies=READ, responses={**READ_RESPONSES, **_NOT_FOUND})
def executions(
    request: Request, name: LoopName, rng: Range,
    person: Annotated[str | None, Query(max_length=255, description="Only cycles this person took part in.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many cycles.")] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9, description="Skip this many first.")] = 0,
) -> dict[str, Any]:
    return _with_reader(request, service.loop_executions_report, name, rng, person=person or None, limit=limit,
                        offset=offset)
