"""Transactions → one row per customer, as the BG/NBD and Gamma-Gamma models read them.

Purchases on the same day are merged into one (their amounts added). For each customer with a first purchase
on or before the observation end: frequency x = purchase days after the first one; recency t_x = time from
the first to the last purchase; age T = time from the first purchase to the observation end; monetary value =
the mean amount of the repeat purchase days (0 without any). Times are in days or in weeks (days / 7)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from growthos.analysis.ltv.transactions import Transaction
from growthos.core.errors import InvalidInput

TIME_UNITS: dict[str, int] = {"day": 1, "week": 7}
"""Days per period of each time unit."""


@dataclass(frozen=True)
class CustomerSummaries:
    """Parallel arrays, one entry per customer (in customer_id order)."""

    customer_ids: list[str]
    first_purchase: list[date]
    frequency: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    monetary_value: np.ndarray
    observation_end: date
    time_unit: str

    def __len__(self) -> int:
        return len(self.customer_ids)


def days_per_period(time_unit: str) -> int:
    try:
        return TIME_UNITS[time_unit]
    except KeyError:
        raise InvalidInput(f"time unit {time_unit!r} is not one of {', '.join(TIME_UNITS)}",
                           field="time_unit") from None


def summarise(transactions: Iterable[Transaction], observation_end: date | None = None,
              time_unit: str = "week") -> CustomerSummaries:
    """The per-customer summary of the transactions up to ``observation_end`` (default: the last one's day)."""
    unit = days_per_period(time_unit)
    by_customer: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for t in transactions:
        by_customer[t.customer_id][t.day] += t.amount
    if not by_customer:
        raise InvalidInput("the transaction log is empty", field="transactions")
    first_day = min(min(days) for days in by_customer.values())
    end = observation_end or max(max(days) for days in by_customer.values())
    if end < first_day:
        raise InvalidInput(f"observation end {end} is before the first purchase ({first_day})",
                           field="observation_end")
    ids, firsts, x, t_x, age, value = [], [], [], [], [], []
    for customer in sorted(by_customer):
        days = sorted(d for d in by_customer[customer] if d <= end)
        if not days:
            continue  # first purchase after the observation end: not yet a customer
        repeat = [by_customer[customer][d] for d in days[1:]]
        ids.append(customer)
        firsts.append(days[0])
        x.append(len(repeat))
        t_x.append((days[-1] - days[0]).days / unit)
        age.append((end - days[0]).days / unit)
        value.append(sum(repeat) / len(repeat) if repeat else 0.0)
    return CustomerSummaries(ids, firsts, np.array(x, dtype=float), np.array(t_x), np.array(age),
                             np.array(value), end, time_unit)
