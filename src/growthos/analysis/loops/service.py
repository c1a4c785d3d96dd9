"""What the API, the CLI and the page call: the workspace's loops (loops.yaml and the app database), their
executions, metrics and bottlenecks over a range of reporting days, and the system-action ledger.

Loops saved through the API override a loops.yaml loop of the same name; deleting one brings the file's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from growthos.analysis.loops.bottlenecks import bottlenecks
from growthos.analysis.loops.config import load_file_loops
from growthos.analysis.loops.definitions import Loop
from growthos.analysis.loops.executions import Execution, active_people, assemble, read_loop_events
from growthos.analysis.loops.metrics import LoopMetrics, loop_metrics
from growthos.analysis.loops.parse import parse_loop
from growthos.core.errors import Conflict, InvalidInput, NotFound
from growthos.core.periods import DateRange
from growthos.metrics.product.common import day_bounds, zone
from growthos.store import loops as rows
from growthos.warehouse.engine import Engine

if TYPE_CHECKING:
    from growthos.workspace import Workspace

MAX_EXECUTIONS = 1000


def list_loops(workspace: Workspace) -> list[Loop]:
    """Every loop in force: loops.yaml's, then those saved through the API (overriding by name)."""
    merged = {loop.name: loop for loop in load_file_loops(workspace.settings.data_dir)}
    for stored in rows.list_definitions(workspace.store.engine):
        merged[stored.name] = parse_loop(stored.definition, source="api")
    return list(merged.values())


def get_loop(workspace: Workspace, name: str) -> Loop:
    for loop in list_loops(workspace):
        if loop.name == name:
            return loop
    raise NotFound(f"no loop named {name!r} (growthos loops list shows them)", field="name")


def create_loop(workspace: Workspace, data: Mapping[str, Any]) -> Loop:
    """Store a new loop; Conflict when a loop of that name exists (in loops.yaml or stored)."""
    loop = parse_loop(data, source="api")
    if any(existing.name == loop.name for existing in list_loops(workspace)):
        raise Conflict(f"loop {loop.name!r} exists; change it with PUT /api/loops/{loop.name}", field="name")
    rows.save_definition(workspace.store.engine, datetime.now(UTC), loop.name, _stored(loop), create_only=True)
    return loop


def replace_loop(workspace: Workspace, name: str, data: Mapping[str, Any]) -> Loop:
    """Store the loop ``name`` (overriding a loops.yaml loop of that name); NotFound when no loop has that name."""
    body = dict(data)
    if body.setdefault("name", name) != name:
        raise InvalidInput(f"name {body['name']!r} does not match the loop in the path ({name!r})", field="name")
    get_loop(workspace, name)
    loop = parse_loop(body, source="api")
    rows.save_definition(workspace.store.engine, datetime.now(UTC), name, _stored(loop))
    return loop


def delete_loop(workspace: Workspace, name: str) -> None:
    """Remove a loop saved through the API; Conflict for one that only loops.yaml defines."""
    if rows.get_definition(workspace.store.engine, name) is None:
        get_loop(workspace, name)
        raise Conflict(f"loop {name!r} is defined in loops.yaml; edit the file (or set status: archived)",
                       field="name")
    rows.delete_definition(workspace.store.engine, name)


def _stored(loop: Loop) -> dict[str, Any]:
    data = loop.to_dict(mask_urls=False)
    data.pop("source")
    return data


# -- analysis ----------------------------------------------------------------------------------------


def loop_executions(workspace: Workspace, engine: Engine, name: str, rng: DateRange) -> tuple[Loop, list[Execution]]:
    """The loop and its cycles started in the range's reporting days, as of the workspace's now."""
    loop = get_loop(workspace, name)
    tz = zone(workspace.settings.timezone)
    lo, hi = day_bounds(rng.start, rng.end, tz)
    as_of = workspace.settings.now()
    events = read_loop_events(engine, loop, lo, min(hi + 2 * loop.window, max(as_of, lo + timedelta(seconds=1))))
    return loop, assemble(loop, events, lo, hi, as_of)


def loop_report(workspace: Workspace, engine: Engine, name: str, rng: DateRange) -> dict[str, Any]:
    """The loop's definition, metrics and bottlenecks over the range."""
    loop, executions = loop_executions(workspace, engine, name, rng)
    metrics = _metrics(workspace, engine, loop, executions, rng)
    return {"loop": loop.to_dict(), "range": {"from": rng.start.isoformat(), "to": rng.end.isoformat()},
            "metrics": metrics.to_dict(),
            "bottlenecks": [b.to_dict() for b in bottlenecks(loop, metrics, executions)]}


def loop_metrics_report(workspace: Workspace, engine: Engine, name: str, rng: DateRange) -> dict[str, Any]:
    loop, executions = loop_executions(workspace, engine, name, rng)
    return {"range": _range(rng), **_metrics(workspace, engine, loop, executions, rng).to_dict()}


def loop_bottlenecks_report(workspace: Workspace, engine: Engine, name: str, rng: DateRange) -> dict[str, Any]:
    loop, executions = loop_executions(workspace, engine, name, rng)
    metrics = _metrics(workspace, engine, loop, executions, rng)
    return {"loop": name, "range": _range(rng), "threshold": loop.bottleneck_below,
            "bottlenecks": [b.to_dict() for b in bottlenecks(loop, metrics, executions)]}


def loop_executions_report(workspace: Workspace, engine: Engine, name: str, rng: DateRange, *,
                           person: str | None = None, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """One page of the cycles (newest first), optionally of the cycles a person started or took part in."""
    if not 1 <= limit <= MAX_EXECUTIONS:
        raise InvalidInput(f"limit must be from 1 to {MAX_EXECUTIONS}, got {limit}", field="limit")
    if offset < 0:
        raise InvalidInput(f"offset must not be negative, got {offset}", field="offset")
    _loop, executions = loop_executions(workspace, engine, name, rng)
    if person is not None:
        executions = [x for x in executions if any(r.person_id == person for r in x.reached)]
    executions = sorted(executions, key=lambda x: (x.started_at, x.cycle), reverse=True)
    return {"loop": name, "range": _range(rng), "total": len(executions), "limit": limit, "offset": offset,
            "executions": [x.to_dict() for x in executions[offset:offset + limit]]}


def loops_overview(workspace: Workspace, engine: Engine, rng: DateRange) -> dict[str, Any]:
    """Every loop with its headline metrics and bottleneck steps over the range (the Loops page, loops list)."""
    out = []
    for loop in list_loops(workspace):
        report = loop_report(workspace, engine, loop.name, rng)
        out.append({**report, "summary": {k: v for k, v in report["metrics"].items() if k != "steps"}})
    return {"range": _range(rng), "loops": out}


def _metrics(workspace: Workspace, engine: Engine, loop: Loop, executions: list[Execution],
             rng: DateRange) -> LoopMetrics:
    active = None
    if loop.type == "viral":
        lo, hi = day_bounds(rng.start, rng.end, zone(workspace.settings.timezone))
        active = active_people(engine, lo, hi)
    return loop_metrics(loop, executions, active)


def _range(rng: DateRange) -> dict[str, str]:
    return {"from": rng.start.isoformat(), "to": rng.end.isoformat()}


# -- system actions ----------------------------------------------------------------------------------


def loop_actions_report(workspace: Workspace, *, loop: str | None = None, status: str | None = None,
                        limit: int = 100) -> dict[str, Any]:
    """The ledger's actions newest first, each with its attempts (URLs and headers left out)."""
    actions = rows.list_actions(workspace.store.engine, loop=loop, status=status, limit=limit)
    attempts = rows.list_attempts(workspace.store.engine, [a.id for a in actions])
    return {"actions": [{**a.to_dict(), "attempt_log": attempts[a.id]} for a in actions], "limit": limit}
