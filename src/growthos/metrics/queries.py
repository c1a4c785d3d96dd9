"""Base aggregates of the metric catalogue, evaluated in the warehouse.

Each query is a sqlglot tree: the grouping column comes from an allow-list (GROUPINGS), dates are
bound parameters. A query returns one row per group key with one column per base aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlglot
from sqlglot import exp

from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange
from growthos.warehouse.engine import Engine

LTV_WINDOWS = (30, 90, 180)
PAYBACK_WINDOW = 180
CAC_WINDOW = 90


@dataclass(frozen=True)
class Grouping:
    """How rows are grouped: the key column in each fact table (None = one total row)."""

    name: str
    orders: str | None
    spend: str | None
    traffic: str | None
    acquisition: str | None  # key of a customer in LTV queries (None for time: shifted dates instead)
    time_unit: str | None = None  # 'day' or 'week' for time series


GROUPINGS: dict[str, Grouping] = {
    "total": Grouping("total", None, None, None, None),
    "day": Grouping("day", "order_date", "date", "date", None, "day"),
    "week": Grouping("week", "order_date", "date", "date", None, "week"),
    "channel": Grouping("channel", "channel", "channel", "channel", "acquisition_channel"),
    "campaign": Grouping("campaign", "campaign_key", "campaign_key", "campaign_key", "acquisition_campaign_key"),
}

TOTAL_KEY = "all"


def grouping(name: str) -> Grouping:
    try:
        return GROUPINGS[name]
    except KeyError:
        raise InvalidInput(
            f"cannot break down by {name!r} (choose one of {', '.join(GROUPINGS)})", field="by"
        ) from None


def _param(name: str) -> exp.Placeholder:
    return exp.Placeholder(this=name)


def _key(column: str | None, g: Grouping | None = None) -> exp.Expression:
    """The group key: an allow-listed column, truncated to the week for weekly series."""
    if column is None:
        return exp.Literal.string(TOTAL_KEY)
    return _in_time_unit(exp.column(column), g.time_unit if g else None)


def _in_time_unit(expression: exp.Expression, unit: str | None) -> exp.Expression:
    if unit == "week":
        return exp.cast(exp.func("date_trunc", exp.Literal.string("week"), expression), exp.DataType.build("date"))
    return expression


def _between(column: str, low: str = "start", high: str = "end") -> exp.Expression:
    return exp.column(column).between(_param(low), _param(high))


def _select(key: exp.Expression, aggregates: list[str], table: str, where: exp.Expression) -> exp.Select:
    return (
        sqlglot.select(key.as_("key"), *aggregates)
        .from_(table)
        .where(where)
        .group_by(exp.column("key"))
    )


def _orders(g: Grouping) -> exp.Select:
    # A customer is 'returning' when their first order precedes the period (for daily rows: the day).
    period_start = _key(g.orders, g) if g.time_unit else _param("start")
    returning = exp.Count(this=exp.Distinct(expressions=[exp.column("customer_id")]))
    returning_filtered = exp.Filter(
        this=returning,
        expression=exp.Where(this=exp.LT(this=exp.column("customer_first_order_date"), expression=period_start)),
    )
    aggregates = [
        "sum(gross_sales) AS gross_sales",
        "sum(discounts) AS discounts",
        "sum(refunds) AS refunds",
        "sum(net_revenue) AS net_revenue",
        "count(*) AS orders",
        "sum(cogs) AS cogs",
        "sum(shipping_revenue) AS shipping_revenue",
        "sum(shipping_cost) AS shipping_cost",
        "sum(payment_fees) AS payment_fees",
        "sum(contribution_before_marketing) AS contribution_before_marketing",
        "count(*) FILTER (WHERE is_first_order) AS new_customers",
        "count(DISTINCT customer_id) AS customers",
    ]
    query = _select(_key(g.orders, g), aggregates, "fact_orders", _between("order_date"))
    return query.select(returning_filtered.as_("returning_customers"))


def _repeat(g: Grouping) -> exp.Select:
    inner = (
        sqlglot.select(_key(g.orders, g).as_("key"), "customer_id", "count(*) AS n")
        .from_("fact_orders")
        .where(_between("order_date"))
        .where("customer_id IS NOT NULL")
        .group_by(exp.column("key"), exp.column("customer_id"))
    )
    return (
        sqlglot.select("key", "count(*) FILTER (WHERE n >= 2) AS repeat_customers")
        .from_(inner.subquery("per_customer"))
        .group_by(exp.column("key"))
    )


def _spend(g: Grouping) -> exp.Select:
    aggregates = [
        "sum(spend) AS ad_spend",
        "sum(impressions) AS impressions",
        "sum(clicks) AS clicks",
        "sum(platform_purchase_value) AS platform_purchase_value",
    ]
    return _select(_key(g.spend, g), aggregates, "fact_spend", _between("date"))


def _traffic(g: Grouping) -> exp.Select:
    aggregates = ["sum(sessions) AS sessions", "sum(add_to_carts) AS add_to_carts", "sum(checkouts) AS checkouts"]
    return _select(_key(g.traffic, g), aggregates, "fact_traffic", _between("date"))


def _shifted_day(column: str, days: int, g: Grouping) -> exp.Expression:
    """column + days as a DATE (the day a window that started on `column` ends), in the series' unit."""
    shifted = sqlglot.parse_one(f"CAST({column} + INTERVAL {int(days)} DAY AS DATE)", read="duckdb")
    return _in_time_unit(shifted, g.time_unit)


def _ltv(g: Grouping, window: int) -> exp.Select:
    # Customers whose window [first order day, first order day + window - 1] ends in the period.
    key = _shifted_day("customer_first_order_date", window - 1, g) if g.time_unit else _key(g.acquisition)
    aggregates = [
        f"count(DISTINCT customer_id) AS ltv_{window}_customers",
        f"sum(net_revenue) FILTER (WHERE days_since_first_order < {int(window)}) AS ltv_{window}_revenue",
        f"sum(contribution_before_marketing) FILTER (WHERE days_since_first_order < {int(window)})"
        f" AS ltv_{window}_contribution",
    ]
    where = exp.and_(
        exp.column("customer_id").is_(exp.null()).not_(),
        _between("customer_first_order_date", f"acq_start_{window}", f"acq_end_{window}"),
    )
    return _select(key, aggregates, "fact_orders", where)


def _acquisition_spend(g: Grouping, window: int) -> exp.Select:
    key = _shifted_day("date", window - 1, g) if g.time_unit else _key(g.spend)
    return _select(
        key,
        [f"sum(spend) AS ltv_{window}_acquisition_spend"],
        "fact_spend",
        _between("date", f"acq_start_{window}", f"acq_end_{window}"),
    )


def _payback_curve(g: Grouping) -> exp.Select:
    key = _key(g.acquisition)
    return (
        sqlglot.select(key.as_("key"), "days_since_first_order AS day", "sum(contribution_before_marketing) AS c")
        .from_("fact_orders")
        .where(exp.column("customer_id").is_(exp.null()).not_())
        .where(_between("customer_first_order_date", f"acq_start_{PAYBACK_WINDOW}", f"acq_end_{PAYBACK_WINDOW}"))
        .where(f"days_since_first_order < {PAYBACK_WINDOW}")
        .group_by(exp.column("key"), exp.column("day"))
    )


def _params(rng: DateRange, last_full_day: date) -> dict[str, Any]:
    params: dict[str, Any] = {"start": rng.start, "end": rng.end}
    closing_end = min(rng.end, last_full_day)
    for window in {*LTV_WINDOWS, PAYBACK_WINDOW}:
        params[f"acq_start_{window}"] = rng.start - timedelta(days=window - 1)
        params[f"acq_end_{window}"] = closing_end - timedelta(days=window - 1)
    return params


def _run(engine: Engine, query: exp.Select, params: dict[str, Any]) -> list[dict[str, Any]]:
    sql = query.sql(dialect="duckdb")
    used = {p.name for p in query.find_all(exp.Placeholder)}
    return engine.query(sql, {k: v for k, v in params.items() if k in used}).to_pylist()


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def compute_bases(
    engine: Engine, rng: DateRange, group: str, last_full_day: date
) -> dict[Any, dict[str, float | None]]:
    """Every base aggregate for the range, per group key ('all' for the total)."""
    g = grouping(group)
    params = _params(rng, last_full_day)
    queries = [_orders(g), _repeat(g), _spend(g), _traffic(g)]
    queries += [_ltv(g, w) for w in LTV_WINDOWS]
    queries.append(_acquisition_spend(g, CAC_WINDOW))
    queries.append(_acquisition_spend(g, PAYBACK_WINDOW))
    out: dict[Any, dict[str, float | None]] = {}
    for query in queries:
        for row in _run(engine, query, params):
            key = row.pop("key")
            bucket = out.setdefault(key, {})
            for name, value in row.items():
                bucket[name] = _number(value)
    if not g.time_unit:
        _add_payback(engine, g, params, out)
    if group == "total":
        out.setdefault(TOTAL_KEY, {})
    return out


def _add_payback(engine: Engine, g: Grouping, params: dict[str, Any], out: dict[Any, dict]) -> None:
    """payback_days: first day (0 = the first order's day) on which the cumulative contribution per
    customer of the customers acquired PAYBACK_WINDOW days before the period covers their nCAC."""
    curves: dict[Any, dict[int, float]] = {}
    for row in _run(engine, _payback_curve(g), params):
        curves.setdefault(row["key"], {})[int(row["day"])] = float(row["c"] or 0)
    for key, bucket in out.items():
        customers = bucket.get(f"ltv_{PAYBACK_WINDOW}_customers")
        spend = bucket.get(f"ltv_{PAYBACK_WINDOW}_acquisition_spend")
        bucket["payback_days"] = payback_day(curves.get(key, {}), customers, spend)


def payback_day(curve: dict[int, float], customers: float | None, spend: float | None) -> float | None:
    """The first day whose cumulative contribution per customer reaches spend per customer."""
    if not customers or spend is None:
        return None
    cac = spend / customers
    cumulative = 0.0
    for day in range(PAYBACK_WINDOW):
        cumulative += curve.get(day, 0.0)
        if cumulative / customers >= cac:
            return float(day)
    return None
