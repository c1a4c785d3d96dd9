"""`growthos loops list|show NAME|metrics NAME|bottlenecks NAME|actions [--json]`: the growth loops in force, one
loop's definition, its metrics and step conversions, its bottlenecks, and the system-action ledger (the same JSON
as /api/loops)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from growthos.cli import _errors, _print_json, _settings, app, out

loops_app = typer.Typer(help="Growth loops: definitions, metrics, bottlenecks, system actions.", no_args_is_help=True)
app.add_typer(loops_app, name="loops")

Name = Annotated[str, typer.Argument(help="The loop's name (growthos loops list).")]
From = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (with --to).")]
To = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")]
Preset = Annotated[str | None, typer.Option("--range", help="7d, 14d, 30d, 90d or 180d (default 30d).")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _span(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def _analysis(call: Any, start: str | None, end: str | None, preset: str | None, *args: Any) -> dict[str, Any]:
    """call(workspace, engine, *args, range) on the workspace's warehouse."""
    from growthos.core.periods import resolve_range
    from growthos.workspace import Workspace

    settings = _settings()
    rng = resolve_range(start, end, preset, settings.today())
    with Workspace(settings) as ws:
        return call(ws, ws.engine, *args, rng)


@loops_app.command("list")
def list_cmd(start: From = None, end: To = None, preset: Preset = None, as_json: Json = False) -> None:
    """Every loop with its headline metrics over the range."""
    from growthos.analysis.loops.service import loops_overview

    with _errors():
        data = _analysis(loops_overview, start, end, preset)
    if as_json:
        _print_json(data)
        return
    if not data["loops"]:
        out.print("No loops: define them in <data dir>/loops.yaml or POST /api/loops.")
        return
    table = Table(title=f"Growth loops {data['range']['from']} – {data['range']['to']}")
    for column in ("loop", "type", "status", "starts", "completed", "rate", "median cycle", "K", "efficiency"):
        table.add_column(column, justify="left" if column in ("loop", "type", "status") else "right")
    for item in data["loops"]:
        loop, m = item["loop"], item["summary"]
        table.add_row(escape(loop["name"]), loop["type"], loop["status"], f"{m['starts']:,}", f"{m['completions']:,}",
                      _pct(m["completion_rate"]), _span(m["median_cycle_time_s"]), _num(m["k_factor"], 3),
                      _num(m["efficiency"], 1))
    out.print(table)
    for item in data["loops"]:
        if item["bottlenecks"]:
            steps = ", ".join(f"{b['step']} ({_pct(b['conversion'])})" for b in item["bottlenecks"])
            out.print(f"Bottlenecks of {escape(item['loop']['name'])}: {escape(steps)}", highlight=False)


@loops_app.command("show")
def show_cmd(name: Name, as_json: Json = False) -> None:
    """One loop's definition (webhook URLs masked)."""
    from growthos.analysis.loops.service import get_loop
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        loop = get_loop(ws, name).to_dict()
    if as_json:
        _print_json(loop)
        return
    out.print(f"[bold]{escape(loop['label'])}[/] ({loop['name']}, {loop['type']}, {loop['status']}, from "
              f"{loop['source']}; window {loop['window']})", highlight=False)
    for i, step in enumerate(loop["steps"], 1):
        extra = f" match {', '.join(step['match'])}" if step["match"] else ""
        action = " → webhook" if step.get("system_action") else ""
        out.print(f"  {i}. {escape(step['label'])}: {escape(' | '.join(step['event']))} ({step['actor']}{extra}) "
                  f"→ {', '.join(step['next'])}{action}", highlight=False)
    for t in loop["triggers"]:
        out.print(f"  trigger {escape(t['name'])}: on {escape(t['event'])}, {t['frequency']}, after {t['delay']} → "
                  f"{t['target_step']}", highlight=False)


@loops_app.command("metrics")
def metrics_cmd(name: Name, start: From = None, end: To = None, preset: Preset = None, as_json: Json = False) -> None:
    """A loop's metrics and its step conversions."""
    from growthos.analysis.loops.service import loop_metrics_report

    with _errors():
        m = _analysis(loop_metrics_report, start, end, preset, name)
    if as_json:
        _print_json(m)
        return
    out.print(f"[bold]{escape(name)}[/] {m['range']['from']} – {m['range']['to']}: {m['starts']:,} started, "
              f"{m['completions']:,} completed ({_pct(m['completion_rate'])}), {m['in_progress']:,} in progress; "
              f"median cycle {_span(m['median_cycle_time_s'])}, efficiency {_num(m['efficiency'], 1)}", highlight=False)
    if m["k_factor"] is not None:
        out.print(f"K = {_num(m['invites_per_user'], 3)} invites per user × {_pct(m['invite_conversion'])} "
                  f"conversion = {_num(m['k_factor'], 3)}", highlight=False)
    if m["loop_value"] is not None:
        out.print(f"Loop value: {_num(m['loop_value'])} {escape(m['value_label'])} per completed cycle",
                  highlight=False)
    table = Table()
    for column in ("step", "reached", "entered", "conversion", "median time", "bottleneck"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for s in m["steps"]:
        table.add_row(escape(s["label"]), f"{s['reached']:,}", f"{s['entered']:,}", _pct(s["conversion"]),
                      _span(s["median_time_s"]), "[red]yes[/]" if s["bottleneck"] else "")
    out.print(table)


@loops_app.command("bottlenecks")
def bottlenecks_cmd(name: Name, start: From = None, end: To = None, preset: Preset = None,
                    as_json: Json = False) -> None:
    """Steps converting below the loop's threshold, their likely causes and recommendations."""
    from growthos.analysis.loops.service import loop_bottlenecks_report

    with _errors():
        data = _analysis(loop_bottlenecks_report, start, end, preset, name)
    if as_json:
        _print_json(data)
        return
    if not data["bottlenecks"]:
        out.print(f"No step of {escape(name)} converts below {_pct(data['threshold'])}.", highlight=False)
        return
    for b in data["bottlenecks"]:
        out.print(f"[bold red]{escape(b['label'])}[/]: {_pct(b['conversion'])} of {b['entered']:,} (threshold "
                  f"{_pct(b['threshold'])}); at the threshold: +{_num(b['extra_completions'], 1)} completed cycles",
                  highlight=False)
        for c in b["causes"]:
            out.print(f"  likely cause: {c['dimension']} {escape(c['value'])} converts {_pct(c['conversion'])} vs "
                      f"{_pct(c['rest_conversion'])} ({c['entered']:,} cycles, {_num(c['lost'], 1)} lost)",
                      highlight=False)
        for r in b["recommendations"]:
            out.print(f"  → {escape(r)}", highlight=False)


@loops_app.command("actions")
def actions_cmd(
    loop: Annotated[str | None, typer.Option(help="Only this loop's actions.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, sending, delivered or failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50,
    as_json: Json = False,
) -> None:
    """System actions (webhooks) newest first, with their attempts."""
    from growthos.analysis.loops.service import loop_actions_report
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        data = loop_actions_report(ws, loop=loop, status=status, limit=limit)
    if as_json:
        _print_json(data)
        return
    if not data["actions"]:
        out.print("No system actions.")
        return
    table = Table(title="Loop system actions")
    for column in ("id", "loop", "step", "person", "due", "status", "attempts", "last error"):
        table.add_column(column, overflow="fold")
    for a in data["actions"]:
        table.add_row(str(a["id"]), escape(a["loop"]), escape(a["step"]), escape(a["person_id"]),
                      a["due_at"][:16].replace("T", " "), a["status"], str(a["attempts"]),
                      escape(a["last_error"] or ""))
    out.print(table)
