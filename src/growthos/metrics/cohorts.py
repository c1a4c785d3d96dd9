"""Cohort analysis from the cohorts mart: retention and cumulative LTV by months since the first order,
with blended CAC and the month the cohort paid it back."""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from growthos.core.periods import DateRange
from growthos.warehouse.engine import Engine


def cohorts(engine: Engine, rng: DateRange | None = None) -> dict[str, Any]:
    """One entry per cohort month (first orders in that month), optionally only cohorts whose month
    overlaps the range; each with its retention and LTV curves (month 0 = the first month)."""
    query = sqlglot.select(
        "cohort_month", "month_index", "customers", "active_customers", "retention_rate", "orders",
        "net_revenue", "cumulative_net_revenue_per_customer", "cumulative_contribution_per_customer", "cac",
        "payback_month", "is_complete",
    ).from_("cohorts").order_by("cohort_month", "month_index")
    params: dict[str, Any] = {}
    if rng is not None:
        month_start = exp.cast(exp.func("date_trunc", exp.Literal.string("month"), exp.Placeholder(this="start")),
                               exp.DataType.build("date"))
        query = query.where(exp.column("cohort_month").between(month_start, exp.Placeholder(this="end")))
        params = {"start": rng.start, "end": rng.end}
    out: dict[str, dict[str, Any]] = {}
    for row in engine.query(query.sql(dialect="duckdb"), params).to_pylist():
        month = row["cohort_month"].isoformat()
        cohort = out.setdefault(month, {
            "cohort_month": month, "customers": row["customers"], "cac": _f(row["cac"]),
            "payback_month": row["payback_month"], "retention": [], "ltv": [], "contribution": [],
            "active_customers": [], "complete": [],
        })
        cohort["retention"].append(_f(row["retention_rate"]))
        cohort["ltv"].append(_f(row["cumulative_net_revenue_per_customer"]))
        cohort["contribution"].append(_f(row["cumulative_contribution_per_customer"]))
        cohort["active_customers"].append(row["active_customers"])
        cohort["complete"].append(bool(row["is_complete"]))
    return {"cohorts": list(out.values())}


def _f(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)
