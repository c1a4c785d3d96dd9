"""Base aggregates of the metric catalogue, evaluated in the warehouse.

Each query is a sqlglot tree: the grouping column comes from an allow-list (GROUPINGS), dates are
bound parameters. A query returns one row per group key with one column per base aggregate.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
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
    "segment": Grouping("segment", "customer_segment", None, None, None),
}
"""A grouping without a key column for a fact table (segment: spend and traffic have no customer) leaves the
KPIs of that table undefined rather than putting them under one catch-all key."""

TOTAL_KEY = "all"

BREAKDOWN_BY: tuple[str, ...] = ("channel", "campaign", "segment")
"""The groupings a KPI table can be broken down by (the others are the total and time series)."""


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


# A period label is a code constant ('current', 'previous'); its dates are bound parameters named
# <bound>__<label>, e.g. start__current, acq_end_90__previous.


def _param_for(name: str, label: str) -> exp.Placeholder:
    return _param(f"{name}__{label}")


def _period_case(column: exp.Expression, labels: tuple[str, ...], low: str, high: str,
                 value: str | None = None) -> exp.Expression:
    """CASE WHEN column in period 1 THEN <label or bound> ... END: which period a row belongs to."""
    case = exp.Case()
    for label in labels:
        then = _param_for(value, label) if value else exp.Literal.string(label)
        case = case.when(column.copy().between(_param_for(low, label), _param_for(high, label)), then)
    return case


def _in_any_period(column: exp.Expression, labels: tuple[str, ...], low: str, high: str) -> exp.Expression:
    return exp.or_(*[column.copy().between(_param_for(low, label), _param_for(high, label)) for label in labels])


def _select(key: exp.Expression, aggregates: list[str | exp.Expression], table: str, column: str,
            labels: tuple[str, ...], low: str = "start", high: str = "end") -> exp.Select:
    """SELECT key, period, aggregates FROM table WHERE column in any period GROUP BY key, period."""
    col = exp.column(column)
    return (
        sqlglot.select(key.as_("key"), _period_case(col, labels, low, high).as_("period"), *aggregates)
        .from_(table)
        .where(_in_any_period(col, labels, low, high))
        .group_by(exp.column("key"), exp.column("period"))
    )


def _orders(g: Grouping, labels: tuple[str, ...]) -> exp.Select:
    aggregates: list[str | exp.Expression] = [
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
    ]
    return _select(_key(g.orders, g), aggregates, "fact_orders", "order_date", labels)


def _customers(g: Grouping, labels: tuple[str, ...]) -> exp.Select:
    """Customers ordering in the period; 'returning' when their first order precedes the period (for
    series: the bucket); 'repeat' with 2+ orders within it."""
    order_date = exp.column("order_date")
    key = _key(g.orders, g)
    period_start = key.copy() if g.time_unit else _period_case(order_date, labels, "start", "end", "start")
    # The period's start is the same on every row of a group; min() just lifts it into the aggregate.
    returning = exp.LT(this=exp.func("min", exp.column("customer_first_order_date")),
                       expression=exp.func("min", period_start))
    inner = (
        sqlglot.select(key.as_("key"), _period_case(order_date, labels, "start", "end").as_("period"),
                       "customer_key", "count(*) AS n", returning.as_("is_returning"))
        .from_("fact_orders")
        .where(_in_any_period(order_date, labels, "start", "end"))
        .where("customer_key IS NOT NULL")
        .group_by(exp.column("key"), exp.column("period"), exp.column("customer_key"))
    )
    return (
        sqlglot.select("key", "period", "count(*) AS customers",
                       "count(*) FILTER (WHERE is_returning) AS returning_customers",
                       "count(*) FILTER (WHERE n >= 2) AS repeat_customers")
        .from_(inner.subquery("per_customer"))
        .group_by(exp.column("key"), exp.column("period"))
    )


def _spend(g: Grouping, labels: tuple[str, ...]) -> exp.Select:
    aggregates: list[str | exp.Expression] = [
        "sum(spend) AS ad_spend",
        "sum(impressions) AS impressions",
        "sum(clicks) AS clicks",
        "sum(platform_purchase_value) AS platform_purchase_value",
    ]
    return _select(_key(g.spend, g), aggregates, "fact_spend", "date", labels)


def _traffic(g: Grouping, labels: tuple[str, ...]) -> exp.Select:
    aggregates: list[str | exp.Expression] = [
        "sum(sessions) AS sessions", "sum(add_to_carts) AS add_to_carts", "sum(checkouts) AS checkouts"]
    return _select(_key(g.traffic, g), aggregates, "fact_traffic", "date", labels)


def _shifted_day(column: str, days: int, g: Grouping) -> exp.Expression:
    """column + days as a DATE (the day a window that started on `column` ends), in the series' unit."""
    shifted = sqlglot.parse_one(f"CAST({column} + INTERVAL {int(days)} DAY AS DATE)", read="duckdb")
    return _in_time_unit(shifted, g.time_unit)


def _union_of_windows(windows: tuple[int, ...], branch, columns: tuple[str, ...]) -> exp.Expression:
    """One statement for several windows: a UNION ALL of one SELECT per window. UNION matches columns by
    position, so every branch lists every window's columns in the same order, NULL for the others'."""
    selects = []
    for window in windows:
        aggregates: list[str | exp.Expression] = []
        for other in windows:
            for column in columns:
                name = column.format(w=other)
                aggregates.append(f"{branch.aggregate(column, other)} AS {name}" if other == window
                                  else f"CAST(NULL AS DOUBLE) AS {name}")
        selects.append(branch.select(window, aggregates))
    return exp.union(*selects, distinct=False) if len(selects) > 1 else selects[0]


class _LtvBranch:
    """Customers whose window [first order day, first order day + window - 1] ends in the period."""

    columns = ("ltv_{w}_customers", "ltv_{w}_revenue", "ltv_{w}_contribution")

    def __init__(self, g: Grouping, labels: tuple[str, ...]) -> None:
        self.g, self.labels = g, labels

    @staticmethod
    def aggregate(column: str, window: int) -> str:
        return {
            "ltv_{w}_customers": "count(DISTINCT customer_key)",
            "ltv_{w}_revenue": f"sum(net_revenue) FILTER (WHERE days_since_first_order < {int(window)})",
            "ltv_{w}_contribution": "sum(contribution_before_marketing) FILTER "
                                    f"(WHERE days_since_first_order < {int(window)})",
        }[column]

    def select(self, window: int, aggregates: list[str | exp.Expression]) -> exp.Select:
        g = self.g
        key = _shifted_day("customer_first_order_date", window - 1, g) if g.time_unit else _key(g.acquisition)
        query = _select(key, aggregates, "fact_orders", "customer_first_order_date", self.labels,
                        f"acq_start_{window}", f"acq_end_{window}")
        return query.where("customer_key IS NOT NULL")


class _AcquisitionSpendBranch:
    """Ad spend of the days on which those customers were acquired."""

    columns = ("ltv_{w}_acquisition_spend",)

    def __init__(self, g: Grouping, labels: tuple[str, ...]) -> None:
        self.g, self.labels = g, labels

    @staticmethod
    def aggregate(column: str, window: int) -> str:
        return "sum(spend)"

    def select(self, window: int, aggregates: list[str | exp.Expression]) -> exp.Select:
        g = self.g
        key = _shifted_day("date", window - 1, g) if g.time_unit else _key(g.spend)
        return _select(key, aggregates, "fact_spend", "date", self.labels, f"acq_start_{window}", f"acq_end_{window}")


def _ltv(g: Grouping, labels: tuple[str, ...], windows: tuple[int, ...]) -> exp.Expression:
    return _union_of_windows(windows, _LtvBranch(g, labels), _LtvBranch.columns)


def _acquisition_spend(g: Grouping, labels: tuple[str, ...], windows: tuple[int, ...]) -> exp.Expression:
    return _union_of_windows(windows, _AcquisitionSpendBranch(g, labels), _AcquisitionSpendBranch.columns)


def _payback_curve(g: Grouping, labels: tuple[str, ...]) -> exp.Select:
    first = exp.column("customer_first_order_date")
    low, high = f"acq_start_{PAYBACK_WINDOW}", f"acq_end_{PAYBACK_WINDOW}"
    return (
        sqlglot.select(_key(g.acquisition).as_("key"), _period_case(first, labels, low, high).as_("period"),
                       "days_since_first_order AS day", "sum(contribution_before_marketing) AS c")
        .from_("fact_orders")
        .where("customer_id IS NOT NULL")
        .where(_in_any_period(first, labels, low, high))
        .where(f"days_since_first_order < {PAYBACK_WINDOW}")
        .group_by(exp.column("key"), exp.column("period"), exp.column("day"))
    )


@dataclass(frozen=True)
class _Compiled:
    builder: str
    sql: str
    params: tuple[str, ...]


@lru_cache(maxsize=256)
def _compiled(builder: str, group: str, labels: tuple[str, ...], windows: tuple[int, ...] = ()) -> _Compiled:
    """The SQL text of one base query, generated once per (query, grouping, periods)."""
    g = grouping(group)
    args = (g, labels, windows) if windows else (g, labels)
    query: exp.Expression = _BUILDERS[builder](*args)
    names = tuple(sorted({p.name for p in query.find_all(exp.Placeholder)}))
    return _Compiled(builder, query.sql(dialect="duckdb"), names)


_BUILDERS = {
    "orders": _orders, "customers": _customers, "spend": _spend, "traffic": _traffic, "ltv": _ltv,
    "acquisition_spend": _acquisition_spend, "payback_curve": _payback_curve,
}


# The base aggregates each query produces.
_ORDER_BASES = frozenset({"gross_sales", "discounts", "refunds", "net_revenue", "orders", "cogs", "shipping_revenue",
                          "shipping_cost", "payment_fees", "contribution_before_marketing", "new_customers"})
_ACQUISITION_WINDOWS = tuple(sorted({CAC_WINDOW, PAYBACK_WINDOW}))
_PRODUCES: dict[tuple[str, tuple[int, ...]], frozenset[str]] = {
    ("orders", ()): _ORDER_BASES,
    ("customers", ()): frozenset({"customers", "returning_customers", "repeat_customers"}),
    ("spend", ()): frozenset({"ad_spend", "impressions", "clicks", "platform_purchase_value"}),
    ("traffic", ()): frozenset({"sessions", "add_to_carts", "checkouts"}),
    ("ltv", LTV_WINDOWS): frozenset(f"ltv_{w}_{part}" for w in LTV_WINDOWS
                                    for part in ("customers", "revenue", "contribution")),
    ("acquisition_spend", _ACQUISITION_WINDOWS): frozenset(f"ltv_{w}_acquisition_spend"
                                                           for w in _ACQUISITION_WINDOWS),
    ("payback_curve", ()): frozenset({"payback_days"}),
}
# payback_days also needs the customers and acquisition spend of its window.
_ALSO_NEEDS = {"payback_days": {f"ltv_{PAYBACK_WINDOW}_customers", f"ltv_{PAYBACK_WINDOW}_acquisition_spend"}}


_KEY_OF: dict[str, Callable[[Grouping], str | None]] = {
    "orders": lambda g: g.orders, "customers": lambda g: g.orders, "spend": lambda g: g.spend,
    "traffic": lambda g: g.traffic, "ltv": lambda g: g.acquisition, "acquisition_spend": lambda g: g.spend,
    "payback_curve": lambda g: g.acquisition,
}
"""Query -> the grouping's key column it groups by."""


def _splits(g: Grouping, builder: str) -> bool:
    """Whether ``g`` can split the rows of ``builder``'s query (the total and time series always can)."""
    return g.name == "total" or g.time_unit is not None or _KEY_OF[builder](g) is not None


def available_bases(group: str) -> frozenset[str]:
    """The base aggregates defined per key of ``group``."""
    g = grouping(group)
    return frozenset().union(*(bases for (builder, _), bases in _PRODUCES.items() if _splits(g, builder)))


def _queries(g: Grouping, needs: frozenset[str] | None) -> list[tuple[str, tuple[int, ...]]]:
    """The queries producing the bases needed (all when needs is None)."""
    wanted = set(needs) if needs is not None else set().union(*_PRODUCES.values())
    for base, extra in _ALSO_NEEDS.items():
        if base in wanted:
            wanted |= extra
    plan = [query for query, bases in _PRODUCES.items() if bases & wanted and _splits(g, query[0])]
    if g.time_unit:
        plan = [query for query in plan if query[0] != "payback_curve"]
    return plan


def _params(periods: dict[str, DateRange], last_full_day: date) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for label, rng in periods.items():
        params[f"start__{label}"] = rng.start
        params[f"end__{label}"] = rng.end
        closing_end = min(rng.end, last_full_day)
        for window in {*LTV_WINDOWS, PAYBACK_WINDOW}:
            params[f"acq_start_{window}__{label}"] = rng.start - timedelta(days=window - 1)
            params[f"acq_end_{window}__{label}"] = closing_end - timedelta(days=window - 1)
    return params


def _run(engine: Engine, compiled: _Compiled, params: dict[str, Any]) -> list[dict[str, Any]]:
    return engine.query(compiled.sql, {name: params[name] for name in compiled.params}).to_pylist()


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


# Independent queries run side by side on their own readers (DuckDB runs each query in C++ without the GIL).
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="growthos-kpi")


def compute_periods(
    engine: Engine, periods: dict[str, DateRange], group: str, last_full_day: date,
    needs: frozenset[str] | None = None,
) -> dict[str, dict[Any, dict[str, float | None]]]:
    """The base aggregates (those in `needs`, or all) for each labelled period, per group key ('all' for
    the total), with one query per base table for all periods at once."""
    g = grouping(group)
    labels = tuple(periods)
    params = _params(periods, last_full_day)
    plan = [_compiled(name, g.name, labels, windows) for name, windows in _queries(g, needs)]

    def run(compiled: _Compiled) -> list[dict[str, Any]]:
        reader = engine.reader()
        try:
            return _run(reader, compiled, params)
        finally:
            reader.close()

    results = list(_POOL.map(run, plan))
    out: dict[str, dict[Any, dict[str, float | None]]] = {label: {} for label in labels}
    curves: dict[str, dict[Any, dict[int, float]]] = {label: {} for label in labels}
    for compiled, rows in zip(plan, results, strict=True):
        is_curve = compiled.builder == "payback_curve"
        for row in rows:
            label = row.pop("period")
            key = row.pop("key")
            if is_curve:
                curves[label].setdefault(key, {})[int(row["day"])] = float(row["c"] or 0)
                continue
            bucket = out[label].setdefault(key, {})
            for name, value in row.items():
                if value is not None or name not in bucket:  # a window's NULL placeholders never overwrite
                    bucket[name] = _number(value)
    for label in labels:
        if group == "total":
            out[label].setdefault(TOTAL_KEY, {})
        if any(c.builder == "payback_curve" for c in plan):
            for key, bucket in out[label].items():
                bucket["payback_days"] = payback_day(curves[label].get(key, {}),
                                                     bucket.get(f"ltv_{PAYBACK_WINDOW}_customers"),
                                                     bucket.get(f"ltv_{PAYBACK_WINDOW}_acquisition_spend"))
    return out


def compute_bases(
    engine: Engine, rng: DateRange, group: str, last_full_day: date, needs: frozenset[str] | None = None
) -> dict[Any, dict[str, float | None]]:
    """The base aggregates (those in `needs`, or all) for one range, per group key ('all' for the total)."""
    return compute_periods(engine, {"current": rng}, group, last_full_day, needs)["current"]


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
