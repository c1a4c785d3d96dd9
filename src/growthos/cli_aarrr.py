"""`growthos aarrr funnel|activation|bottlenecks|definitions|user`: the AARRR funnel and activation, as tables or
--json (the same JSON as /api/aarrr/*). Each command parses its options, calls one service function, renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from growthos.cli import _errors, _print_json, _settings, app, out
from growthos.core.periods import resolve_range

aarrr_app = typer.Typer(help="The AARRR funnel, activation scores and onboarding bottlenecks.", no_args_is_help=True)
app.add_typer(aarrr_app, name="aarrr")

From = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")]
To = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")]
Preset = Annotated[str | None, typer.Option("--range", help="7d, 14d, 30d, 90d or 180d (default 30d).")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _run(service: Callable[..., dict[str, Any]], start: str | None, end: str | None, preset: str | None
         ) -> dict[str, Any]:
    """service(engine, settings, range) on the workspace's warehouse."""
    from growthos.workspace import Workspace

    settings = _settings()
    rng = resolve_range(start, end, preset, settings.today())
    with Workspace(settings) as ws:
        return service(ws.engine, settings, rng)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _hours(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 3600:.1f} h"


@aarrr_app.command("funnel")
def funnel_cmd(start: From = None, end: To = None, preset: Preset = None, as_json: Json = False) -> None:
    """New people → sign-ups → activated → retained → referring / paying, with rates between stages."""
    from growthos.analysis.activation.service import funnel_summary

    with _errors():
        result = _run(funnel_summary, start, end, preset)
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"AARRR funnel, sign-ups of {result['start']} – {result['end']}")
    for column in ("stage", "people", "from previous", "from top", "pending"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for s in result["stages"]:
        table.add_row(f"{s['stage']}: {s['label']}", f"{s['people']:,}", _pct(s["rate_from_parent"]),
                      _pct(s["rate_from_top"]), f"{s['pending']:,}")
    out.print(table)
    r, rev = result["referral"], result["revenue"]
    k = "—" if r["viral_coefficient"] is None else f"{r['viral_coefficient']:.3f}"
    out.print(f"Referral: {r['invites_sent']:,} invites from {r['senders']:,} people, {_pct(r['acceptance_rate'])} "
              f"accepted; K = {k}; {_pct(r['referral_rate'])} of sign-ups came by invitation")
    net = "—" if rev["net_revenue"] is None else f"{rev['net_revenue']:,.2f}"
    out.print(f"Revenue: {rev['subscribers']:,} new subscribers, new MRR {rev['new_mrr']:,.2f}; shop net revenue {net}")


@aarrr_app.command("activation")
def activation_cmd(start: From = None, end: To = None, preset: Preset = None, as_json: Json = False) -> None:
    """Activation rate, scores, time to activate and each definition's reach."""
    from growthos.analysis.activation.service import activation_summary

    with _errors():
        result = _run(activation_summary, start, end, preset)
    if as_json:
        _print_json(result)
        return
    t = result["time_to_activate"]
    out.print(f"Sign-ups {result['start']} – {result['end']}: {result['signups']:,}; activated {result['activated']:,} "
              f"({_pct(result['activation_rate'])}, {result['in_progress']:,} still in their window); time to "
              f"activate median {_hours(t['median_seconds'])}, p75 {_hours(t['p75_seconds'])}")
    table = Table(title="Activation definitions")
    for column in ("definition", "core", "weight", "reached", "reach", "from prerequisites"):
        table.add_column(column, justify="left" if column == "definition" else "right")
    for d in result["definitions"]:
        table.add_row(d["label"], "yes" if d["core"] else "", f"{d['weight']:g}", f"{d['reached']:,}",
                      _pct(d["reach_rate"]), _pct(d["conversion_from_prerequisites"]))
    out.print(table)


@aarrr_app.command("bottlenecks")
def bottlenecks_cmd(start: From = None, end: To = None, preset: Preset = None, as_json: Json = False) -> None:
    """The onboarding funnel step by step, its bottlenecks and recommendations."""
    from growthos.analysis.activation.service import activation_bottlenecks

    with _errors():
        result = _run(activation_bottlenecks, start, end, preset)
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"Onboarding, sign-ups of {result['start']} – {result['end']}")
    for column in ("step", "people", "conversion", "previous period"):
        table.add_column(column, justify="left" if column == "step" else "right")
    table.add_row(result["steps"][0], f"{result['people'][0]:,}", "", "")
    for tr in result["transitions"]:
        table.add_row(tr["to_step"], f"{tr['converted']:,}", _pct(tr["rate"]), _pct(tr["previous_rate"]))
    out.print(table)
    if not result["findings"]:
        out.print("No bottleneck: every step converts within reach of the others.")
    for f in result["findings"]:
        out.print(f"• [{f['kind']}] {f['recommendation']}", highlight=False)


@aarrr_app.command("definitions")
def definitions_cmd(as_json: Json = False) -> None:
    """The activation definitions in force (activation.yaml, else the defaults)."""
    from growthos.analysis.activation.service import activation_definitions

    with _errors():
        result = activation_definitions(_settings())
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"Activation definitions ({result['source']})")
    for column in ("name", "event", "criteria", "weight", "window", "prerequisites", "core"):
        table.add_column(column)
    for d in result["definitions"]:
        criteria = ", ".join(f"{k}={v}" for k, v in d["where"].items())
        criteria = f"{criteria} ×{d['min_count']}" if d["min_count"] > 1 else criteria
        table.add_row(d["name"], d["event"], criteria, f"{d['weight']:g}", f"{d['window_days']} d",
                      ", ".join(d["prerequisites"]), "yes" if d["core"] else "")
    out.print(table)


@aarrr_app.command("user")
def user_cmd(user: Annotated[str, typer.Argument(help="Any id of the person (user id or anonymous id).")],
             as_json: Json = False) -> None:
    """One person's activation: the definitions met, score and time to activate."""
    from growthos.analysis.activation.service import user_activation
    from growthos.workspace import Workspace

    with _errors():
        settings = _settings()
        with Workspace(settings) as ws:
            result = user_activation(ws.engine, settings, user)
    if as_json:
        _print_json(result)
        return
    state = "activated" if result["activated"] else ("in progress" if result["in_progress"] else "not activated")
    out.print(f"{result['person_id']}: signed up {result['signup_at']}, score {result['score']:.0f}/100, {state}")
    for d in result["definitions"]:
        out.print(f"  {'✓' if d['met'] else '·'} {d['name']}" + (f" at {d['met_at']}" if d["met"] else ""))
