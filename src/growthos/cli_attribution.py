"""`growthos attribution`: the range's conversions credited to channels by one attribution model or all of them
side by side, as a table or --json (the same JSON as /api/attribution)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from growthos.cli import _errors, _print_json, _settings, app, out


@app.command("attribution")
def attribution_cmd(
    model: Annotated[str, typer.Option(help="all, first_touch, last_touch, linear, time_decay, position_based "
                                            "or markov.")] = "all",
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    preset: Annotated[str | None, typer.Option("--range", help="7d, 14d, 30d, 90d or 180d (default 30d).")] = None,
    lookback: Annotated[int, typer.Option(help="Lookback window in days (1-365).")] = 30,
    conversion: Annotated[str, typer.Option(help="The conversion event.")] = "Subscription Started",
    half_life: Annotated[float, typer.Option("--half-life", help="Time decay's half-life in days.")] = 7.0,
    value_property: Annotated[str | None, typer.Option("--value-property", help="Property holding the value "
                                                       "(default: revenue, value, mrr or price).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Credit conversions and their value to channels: first/last touch, linear, time decay, position based, Markov."""
    from growthos.analysis.attribution import attribution_report
    from growthos.core.periods import resolve_range
    from growthos.workspace import Workspace

    with _errors():
        settings = _settings()
        rng = resolve_range(start, end, preset, settings.today())
        with Workspace(settings) as ws:
            result = attribution_report(ws.engine, settings, rng, model=model, lookback_days=lookback,
                                        conversion=conversion, half_life_days=half_life,
                                        value_property=value_property)
    if as_json:
        _print_json(result)
        return
    _print_table(result)


def _print_table(result: dict[str, Any]) -> None:
    models = result["models"]
    table = Table(title=f"{result['conversion']}: {result['conversions']:,.0f} conversions worth "
                        f"{result['value']:,.2f}, {result['start']} – {result['end']} "
                        f"(lookback {result['lookback_days']} days)")
    table.add_column("channel")
    for m in models:
        table.add_column(m["label"], justify="right")
    for row in result["comparison"]:
        cells = [row["models"][m["model"]] for m in models]
        table.add_row(row["label"], *(f"{c['conversions']:,.2f} ({_pct(c['share'])})" for c in cells))
    out.print(table)
    markov = next((m for m in models if m["model"] == "markov"), None)
    if markov is not None and result["conversions"]:
        effects = ", ".join(f"{c} {e:.3f}" for c, e in markov["removal_effects"].items())
        out.print(f"Markov: P(conversion) = {markov['conversion_probability']:.4f}; removal effects: {effects}")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
