"""Human formatting of metric values, by the catalogue's unit."""

from __future__ import annotations

from growthos.metrics.catalogue import Metric

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}


def format_value(metric: Metric, value: float | None, currency: str = "USD") -> str:
    if value is None:
        return "—"
    if metric.unit == "currency":
        symbol = _SYMBOLS.get(currency, currency + " ")
        return f"{'-' if value < 0 else ''}{symbol}{abs(value):,.2f}"
    if metric.unit == "ratio":
        return f"{value * 100:.{max(metric.decimals - 2, 1)}f}%"
    if metric.unit == "multiple":
        return f"{value:.2f}×"
    if metric.unit == "days":
        return f"{value:,.0f} d"
    return f"{value:,.{metric.decimals}f}"


def format_change(change_pct: float | None) -> str:
    if change_pct is None:
        return "—"
    return f"{change_pct * 100:+.1f}%"
