"""`growthos acquisition` (channel KPIs by group, budgets, sign-ups) and `growthos budget` (response curves per
paid channel and a daily-budget reallocation by marginal return), as tables or --json (the same JSON as the API)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from growthos.cli import _errors, _print_json, _settings, app, out
from growthos.core.periods import resolve_range


@app.command("acquisition")
def acquisition_cmd(
    range_: Annotated[str, typer.Option("--range", help="A preset ending on the last full day, e.g. 30d.")] = "30d",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Acquisition by channel: spend, budget use, CPC, CTR, sign-ups, orders, CPA (nCAC), LTV, ROAS, grouped."""
    from growthos.analysis.acquisition import acquisition
    from growthos.workspace import Workspace

    settings = _settings()
    with _errors(), Workspace(settings) as ws:
        rng = resolve_range(None, None, range_, settings.today())
        result = acquisition(ws.engine, ws.settings, rng, ws.last_full_day)
    if as_json:
        _print_json(result)
        return
    names = ("ad_spend", "cpc", "ctr", "orders", "new_customers", "conversion_rate", "ncac", "platform_roas")
    table = Table(title=f"Acquisition, {range_}")
    for col in ("channel", "group", "budget", "used", *names, "cost/conv.", "sign-ups", "quality", "LTV 90d"):
        table.add_column(col, justify="right")

    def number(v: float | None, fmt: str = "{:,.2f}") -> str:
        return "–" if v is None else fmt.format(v)

    for r in result["rows"]:
        cells = [r["kpis"][n]["value"] for n in names] + [r["cost_per_conversion"]]
        table.add_row(r["label"], r["group"], number(r["budget"]), number(r["utilisation"], "{:.0%}"),
                      *(number(v) for v in cells), number(r["signups"], "{:,}"),
                      number(r["user_quality"], "{:.0%}"), number(r["ltv"]))
    out.print(table)
    b = result["budgets"]
    if b["budget"] is not None:
        out.print(f"Budgets ({b['days']} days, prorated from monthly): {b['spend']:,.2f} spent of "
                  f"{b['budget']:,.2f} ({number(b['utilisation'], '{:.0%}')}), {b['remaining']:,.2f} remaining")


@app.command("budget")
def budget_cmd(
    total: Annotated[float | None, typer.Option(help="Total daily budget (default: current daily spend).")] = None,
    limit: Annotated[list[str] | None, typer.Option(help="Per-channel daily limit channel=min:max (repeatable).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Recommend daily spend per paid channel, maximising new customers within the limits."""
    from growthos.analysis.budget.advice import budget_advice
    from growthos.analysis.budget.limits import parse_limits
    from growthos.workspace import Workspace

    with _errors():
        limits = parse_limits(limit)
        with Workspace(_settings()) as ws:
            result = budget_advice(ws.engine, ws.last_full_day, total=total, limits=limits)
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"Daily budget {result['total']:,.2f}: expected effect {result['effect']:+.2f} new "
                  f"customers/day (80%: {result['effect_low']:+.2f} – {result['effect_high']:+.2f})")
    for col in ("channel", "current", "recommended", "marginal now", "marginal rec.", "effect", "80%"):
        table.add_column(col, justify="right")
    for c in result["channels"]:
        table.add_row(c["channel"], f"{c['current_spend']:,.2f}", f"{c['recommended_spend']:,.2f}",
                      f"{c['marginal_current']:.4f}", f"{c['marginal_recommended']:.4f}", f"{c['effect']:+.2f}",
                      f"{c['effect_low']:+.2f} – {c['effect_high']:+.2f}")
    out.print(table)
    for r in result["rejected"]:
        out.print(f"Skipped {r['channel']}: {r['reason']}")
