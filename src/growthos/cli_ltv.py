"""`growthos ltv`: predicted customer lifetime value (BG/NBD + Gamma-Gamma) of a transaction log CSV, or of the
shop's own customers (the same JSON as /api/ltv, with every customer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from growthos.cli import _errors, _print_json, _require_built, _settings, app, out

TOP_SHOWN = 10


@app.command("ltv")
def ltv_cmd(
    transactions: Annotated[Path | None, typer.Option(help="CSV with customer_id, date, amount (default: the "
                                                           "shop's own customers from the warehouse).")] = None,
    observation_end: Annotated[str | None, typer.Option("--observation-end", help="Last day observed, YYYY-MM-DD "
                                                        "(default: the last transaction; the shop: yesterday).")
                               ] = None,
    time_unit: Annotated[str, typer.Option("--time-unit", help="day or week.")] = "week",
    horizon: Annotated[int, typer.Option(help="Months ahead for expected purchases and CLV (1-120).")] = 12,
    discount_rate: Annotated[float, typer.Option("--discount-rate", help="Monthly discount rate of the CLV.")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON (every customer).")] = False,
) -> None:
    """Fit BG/NBD and Gamma-Gamma; per customer expected purchases, P(alive), expected value and CLV."""
    from growthos.analysis.ltv import predict_ltv_csv
    from growthos.analysis.ltv.shop import shop_ltv
    from growthos.core.periods import parse_date
    from growthos.workspace import Workspace

    with _errors():
        end = parse_date(observation_end, "observation_end") if observation_end is not None else None
        if transactions is not None:
            result = predict_ltv_csv(transactions, end, time_unit, horizon, discount_rate).as_dict()
        else:
            with Workspace(_settings()) as ws:
                _require_built(ws)
                result = shop_ltv(ws.engine, end or ws.last_full_day, time_unit, horizon, discount_rate, top=None)
    if as_json:
        _print_json(result)
        return
    _print_tables(result)


def _print_tables(result: dict[str, Any]) -> None:
    bg, gg, summary = result["bg_nbd"], result["gamma_gamma"], result["summary"]
    params = Table(title=f"Models fitted on {summary['customers']:,} customers (observed to "
                         f"{result['observation_end']}, time unit {result['time_unit']})")
    for col in ("model", "parameters", "log-likelihood", "customers"):
        params.add_column(col)
    params.add_row("BG/NBD", f"r={bg['r']:.4f} alpha={bg['alpha']:.4f} a={bg['a']:.4f} b={bg['b']:.4f}",
                   f"{bg['log_likelihood']:,.2f}", f"{bg['customers']:,}")
    params.add_row("Gamma-Gamma", f"p={gg['p']:.4f} q={gg['q']:.4f} gamma={gg['gamma']:.4f}",
                   f"{gg['log_likelihood']:,.2f}", f"{gg['customers']:,}")
    out.print(params)
    top = Table(title=f"Top customers by predicted CLV, next {result['horizon_months']} months")
    for col in ("customer", "x", "t_x", "T", "z̄", "E[purchases]", "P(alive)", "E[value]", "CLV"):
        top.add_column(col, justify="right")
    for c in result["customers"][:TOP_SHOWN]:
        top.add_row(c["customer_id"], str(c["frequency"]), f"{c['recency']:.2f}", f"{c['T']:.2f}",
                    f"{c['monetary_value']:,.2f}", f"{c['expected_purchases']:.3f}", f"{c['p_alive']:.3f}",
                    _money(c["expected_value"]), _money(c["clv"]))
    out.print(top)
    out.print(f"Expected purchases: {summary['expected_purchases']:,.1f}; mean CLV {_money(summary['mean_clv'])}; "
              f"mean P(alive) {summary['mean_p_alive']:.3f}")


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"
