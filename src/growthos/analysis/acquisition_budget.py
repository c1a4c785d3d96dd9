"""Budgets of the acquisition table: each channel's monthly budget (``Settings.budgets``) prorated to a range's
days, beside the channel's spend.

A day's budget is the monthly budget ÷ the number of days of that day's calendar month, so a range covering a
whole month gets exactly the monthly budget, and 2026-01-11..2026-02-09 gets 21/31 of January's plus 9/28 of
February's. utilisation = spend ÷ budget (None when the budget is 0); remaining = budget − spend (negative when
overspent). A channel without a budget has None for all three, never 0.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from growthos.analysis.rounding import rounded
from growthos.core.periods import DateRange

BUDGET_PERIOD = "month"
"""What one amount of ``Settings.budgets`` covers: a calendar month."""


def budget_for_range(monthly: float | Decimal, rng: DateRange) -> float:
    """``monthly`` prorated to the range's days (each day worth 1 / days-in-its-month of the month's budget)."""
    total = 0.0
    year, month = rng.start.year, rng.start.month
    while (year, month) <= (rng.end.year, rng.end.month):
        days_in_month = calendar.monthrange(year, month)[1]
        first = max(rng.start, date(year, month, 1))
        last = min(rng.end, date(year, month, days_in_month))
        total += float(monthly) * ((last - first).days + 1) / days_in_month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return total


@dataclass(frozen=True)
class Utilisation:
    budget: float | None
    """The range's budget (prorated); None without one."""
    spend: float
    utilisation: float | None
    """spend ÷ budget; None without a budget or when it is 0."""
    remaining: float | None
    """budget − spend; None without a budget."""

    def as_dict(self) -> dict[str, float | None]:
        return {"budget": rounded(self.budget), "utilisation": rounded(self.utilisation),
                "remaining": rounded(self.remaining)}


def utilisation(monthly: float | Decimal | None, spend: float | None, rng: DateRange) -> Utilisation:
    """A channel's budget for the range against its spend (None spend counts as 0)."""
    spent = float(spend or 0.0)
    if monthly is None:
        return Utilisation(None, spent, None, None)
    budget = budget_for_range(monthly, rng)
    return Utilisation(budget, spent, spent / budget if budget else None, budget - spent)


def budget_summary(budgets: Mapping[str, float | Decimal], spend: Mapping[str, float | None], rng: DateRange,
                   ) -> dict[str, object]:
    """Totals over the budgeted channels (their spend, budget, utilisation, remaining), and the budgeted channels
    that have no row in the table (nothing spent or sold in the range)."""
    rows = [utilisation(amount, spend.get(channel), rng) for channel, amount in sorted(budgets.items())]
    total = sum(r.budget or 0.0 for r in rows) if rows else None
    spent = sum(r.spend for r in rows)
    return {
        "period": BUDGET_PERIOD, "days": rng.days,
        "budget": rounded(total), "spend": rounded(spent) if rows else None,
        "utilisation": rounded(spent / total) if total else None,
        "remaining": rounded(total - spent) if total is not None else None,
        "channels": sorted(budgets),
        "channels_without_rows": sorted(c for c in budgets if c not in spend),
    }
