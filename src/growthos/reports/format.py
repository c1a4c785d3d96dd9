"""How the Weekly Business Review writes numbers: one function per kind of figure, shared by the review's
facts, its renderers and the tests that trace each number back to its source.

- currency: the reporting currency's symbol (or ISO code), thousands separators, no cents from 1,000 up;
- count: a whole number with thousands separators (one decimal when it is not whole);
- ratio (a share 0..1): a percentage with two decimals; its changes in percentage points (``pp``);
- multiple (MER, ROAS): two decimals and ``×``;
- relative changes and shares: a percentage with one decimal, signed for changes.

Signs are ASCII (``+`` and ``-``) so the text is easy to parse and copy.
"""

from __future__ import annotations

SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}
MISSING = "n/a"


def _sign(value: float, signed: bool) -> str:
    if value < 0:
        return "-"
    return "+" if signed else ""


def money(value: float | None, currency: str, signed: bool = False) -> str:
    if value is None:
        return MISSING
    size = abs(value)
    digits = f"{size:,.0f}" if size >= 1000 else f"{size:,.2f}"
    symbol = SYMBOLS.get(currency)
    body = f"{symbol}{digits}" if symbol else f"{currency} {digits}"
    return _sign(value, signed) + body


def count(value: float | None, signed: bool = False) -> str:
    if value is None:
        return MISSING
    size = abs(value)
    digits = f"{size:,.0f}" if float(size).is_integer() else f"{size:,.1f}"
    return _sign(value, signed) + digits


def percent(value: float | None, signed: bool = False, decimals: int = 1) -> str:
    """A share or relative change (0.041 -> 4.1%)."""
    if value is None:
        return MISSING
    digits = f"{abs(value) * 100:,.{decimals}f}"
    if float(digits.replace(",", "")) == 0:
        return f"{digits}%"
    return f"{_sign(value, signed)}{digits}%"


def points(value: float | None, signed: bool = True) -> str:
    """A change of a rate in percentage points (0.0012 -> +0.12 pp)."""
    if value is None:
        return MISSING
    digits = f"{abs(value) * 100:,.2f}"
    if float(digits.replace(",", "")) == 0:
        return f"{digits} pp"
    return f"{_sign(value, signed)}{digits} pp"


def multiple(value: float | None, signed: bool = False) -> str:
    if value is None:
        return MISSING
    return f"{_sign(value, signed)}{abs(value):,.2f}×"


def value(v: float | None, unit: str, currency: str) -> str:
    """A KPI's value in its unit."""
    if unit == "currency":
        return money(v, currency)
    if unit == "ratio":
        return percent(v, decimals=2)
    if unit == "multiple":
        return multiple(v)
    if unit == "days":
        return MISSING if v is None else f"{v:,.1f} days"
    return count(v)


def change(v: float | None, unit: str, currency: str) -> str:
    """A KPI's absolute change in its unit, signed (rates in percentage points)."""
    if unit == "currency":
        return money(v, currency, signed=True)
    if unit == "ratio":
        return points(v)
    if unit == "multiple":
        return multiple(v, signed=True)
    if unit == "days":
        return MISSING if v is None else f"{'-' if v < 0 else '+'}{abs(v):,.1f} days"
    return count(v, signed=True)


def relative(v: float | None) -> str:
    """A relative change, signed (0.041 -> +4.1%)."""
    return percent(v, signed=True)


def share(v: float | None) -> str:
    """A part's share of a whole, unsigned unless negative (0.54 -> 54%)."""
    if v is None:
        return MISSING
    return f"{'-' if v < 0 and round(abs(v) * 100) else ''}{abs(v) * 100:,.0f}%"
