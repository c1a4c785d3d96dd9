"""`growthos forecast METRIC` and `growthos anomalies`: forecasts with prediction intervals and anomalies of
daily KPIs, as tables or --json (the same JSON as /api/forecast and /api/anomalies)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from growthos.cli import _errors, _print_json, _settings, app, out
from growthos.core.periods import resolve_range


@app.command("forecast")
def forecast_cmd(
    metric: Annotated[str, typer.Argument(help="Catalogue metric name, e.g. net_revenue.")],
    horizon: Annotated[int, typer.Option(help="Days ahead (1-180).")] = 28,
    with_backtest: Annotated[bool, typer.Option("--backtest", help="Add a rolling-origin backtest (MASE).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Forecast a daily KPI with 80% and 95% prediction intervals."""
    from growthos.analysis.forecast import forecast
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        result = forecast(ws.engine, ws.last_full_day, metric, horizon, with_backtest=with_backtest).as_dict()
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"{result['label']}: {result['horizon']}-day forecast ({result['model']})")
    for col in ("day", "forecast", "80%", "95%"):
        table.add_column(col, justify="right")
    for p in result["points"]:
        table.add_row(p["day"], f"{p['forecast']:,.2f}", f"{p['lower_80']:,.2f} – {p['upper_80']:,.2f}",
                      f"{p['lower_95']:,.2f} – {p['upper_95']:,.2f}")
    out.print(table)
    if result["backtest"]:
        b = result["backtest"]
        out.print(f"Backtest: MASE {b['mase']} (seasonal naive {b['seasonal_naive_mase']}), {b['folds']} folds")


@app.command("anomalies")
def anomalies_cmd(
    metric: Annotated[list[str] | None, typer.Option("--metric", help="Metric to check (repeatable; default: "
                                                      "the headline KPIs).")] = None,
    preset: Annotated[str | None, typer.Option("--range", help="7d, 14d, 30d, 90d or 180d (default 30d).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Anomalous days of daily KPIs (weekly seasonality, robust scores)."""
    from growthos.analysis.anomalies import detect
    from growthos.workspace import Workspace

    settings = _settings()
    with _errors(), Workspace(settings) as ws:
        rng = resolve_range(start, end, preset, settings.today())
        result = detect(ws.engine, rng, ws.last_full_day, metric or None)
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"Anomalies {result['from']} – {result['to']} (|score| ≥ {result['threshold']})")
    for col in ("day", "metric", "value", "expected", "direction", "score", "severity"):
        table.add_column(col)
    for a in result["anomalies"]:
        table.add_row(a["day"], a["metric"], f"{a['value']:,.4g}", f"{a['expected']:,.4g}", a["direction"],
                      f"{a['score']:+.1f}", a["severity"])
    out.print(table)
    if result["holidays_skipped"]:
        out.print("Holidays not scored: " + ", ".join(f"{h['day']} ({h['name']})" for h in result["holidays_skipped"]))
