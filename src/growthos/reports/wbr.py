"""The Weekly Business Review: a narrative of the last complete week (Monday–Sunday in the reporting time zone)
written from the diff of two stored week snapshots.

``build_wbr`` takes (or reuses) the snapshot of the week and the one of the week before, diffs them
(analysis/diff.py, health.py, insights.py) and composes:

- **Headline**: net revenue, orders, MER and contribution margin with their changes, and the health score;
- **What moved and why**: the top insights by impact, each with its contribution by channel and by campaign
  (analysis/explain.py's decomposition applied to the snapshots' channel and campaign breakdowns);
- **Channel notes**: each channel's net revenue, ad spend and ROAS (its net revenue ÷ its ad spend) and changes;
- **Anomalies and alerts**: anomalous days of the week (analysis/anomalies.py) and the open alerts;
- **Forecast for next week**: net revenue and orders for the seven days after the week, summed from the daily
  forecasts (analysis/forecast.py) fitted on the history up to the week's end, with the 80% interval;
- **Recommendations**: from the insights.

Every number in the text is a ``Fact`` (metric, field, value, the text as written, source): ``diff:<a>,<b>`` for
what comes from the two snapshots (a the previous week's id, b this week's), ``forecast``, ``anomaly`` or
``alert``. The text itself is a list of segments (literal text, a name or free text from data, a fact), so the
renderers (reports/markdown.py, reports/html.py) write each number exactly as its fact says, and escape names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from growthos.analysis.diff import MetricDiff, diff_snapshots
from growthos.analysis.explain import decompose
from growthos.analysis.health import FORMULA, health_score
from growthos.analysis.insights import insights
from growthos.analysis.snapshot_store import save_snapshot
from growthos.analysis.snapshots import Snapshot, period_bounds, previous_period, take_snapshot
from growthos.core.errors import GrowthOSError, InvalidInput
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import CATALOGUE
from growthos.reports import format as fmt

HEADLINE_METRICS: tuple[str, ...] = ("net_revenue", "orders", "mer", "contribution_margin")
FORECAST_METRICS: tuple[str, ...] = ("net_revenue", "orders")
FORECAST_LEVEL = 80
TOP_INSIGHTS = 5
TOP_CHANNELS = 3
TOP_CAMPAIGNS = 2
MAX_RECOMMENDATIONS = 5
MAX_ALERTS = 20

EXPLAINABLE_BASES: tuple[str, ...] = ("net_revenue", "orders", "new_customers", "ad_spend")
"""Bases that the snapshots' breakdowns carry per channel and campaign (as KPIs of the same name)."""
EXPLAINABLE: tuple[str, ...] = ("net_revenue", "orders", "new_customers", "ad_spend", "aov", "mer", "ncac")
"""KPIs whose change can be decomposed from those bases (additive ones, and ratios of two of them)."""

SOURCES = ("diff", "forecast", "anomaly", "alert")


# -- the review -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One number (or dated item) of the review, as written, and where it comes from."""

    id: str
    metric: str
    field: str
    """value, previous, change, relative_change, score, channel_contribution, channel_share, ... ."""
    value: float | str | None
    text: str
    source: str
    """``diff:<a>,<b>`` (snapshot ids), ``forecast``, ``anomaly`` or ``alert``."""
    key: str | None = None
    """The channel, campaign, day or alert id the fact is about."""


@dataclass
class Item:
    """One line of a section: segments ({"text": ...} literal, {"name": ...} data, {"fact": id}) and sub-lines."""

    segments: list[dict[str, str]]
    children: list[Item] = field(default_factory=list)


@dataclass
class Section:
    id: str
    title: str
    items: list[Item]
    note: str | None = None
    """Shown when the section has no items."""


@dataclass
class WeeklyReview:
    week_start: date
    week_end: date
    previous_start: date
    previous_end: date
    currency: str
    timezone: str
    snapshot_ids: dict[str, int | None]
    """{"previous": id, "current": id}."""
    source: str
    health: dict[str, Any]
    sections: list[Section]
    facts: list[Fact]
    generated_at: datetime

    @property
    def title(self) -> str:
        return f"Weekly Business Review: {self.week_start.isoformat()} – {self.week_end.isoformat()}"

    def fact(self, fact_id: str) -> Fact:
        return self._facts_by_id()[fact_id]

    def _facts_by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def section_facts(self, section_id: str) -> list[Fact]:
        """The facts written in one section, in order of appearance."""
        by_id = self._facts_by_id()

        def walk(items: list[Item]) -> list[Fact]:
            found = []
            for item in items:
                found.extend(by_id[s["fact"]] for s in item.segments if "fact" in s)
                found.extend(walk(item.children))
            return found
        return walk(self.section(section_id).items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "week_start": self.week_start.isoformat(), "week_end": self.week_end.isoformat(),
            "previous_start": self.previous_start.isoformat(), "previous_end": self.previous_end.isoformat(),
            "currency": self.currency, "timezone": self.timezone, "snapshot_ids": dict(self.snapshot_ids),
            "source": self.source, "health": self.health,
            "sections": [asdict(s) for s in self.sections],
            "facts": [asdict(f) for f in self.facts],
            "generated_at": self.generated_at.isoformat(),
        }


# -- composing ------------------------------------------------------------------------------------------------


def _t(text: str) -> dict[str, str]:
    return {"text": text}


def _n(name: str) -> dict[str, str]:
    return {"name": name}


class _Facts:
    def __init__(self) -> None:
        self.facts: list[Fact] = []

    def add(self, metric: str, fieldname: str, value: float | str | None, text: str, source: str,
            key: Any = None) -> dict[str, str]:
        fact = Fact(f"f{len(self.facts) + 1}", metric, fieldname, value, text, source,
                    None if key is None else str(key))
        self.facts.append(fact)
        return {"fact": fact.id}


def _unit(name: str, m: MetricDiff | None = None) -> str:
    if m is not None and m.unit:
        return m.unit
    metric = CATALOGUE.get(name)
    return metric.unit if metric else "count"


def _judgement(m: MetricDiff) -> str:
    if m.basis == "test":
        evidence = "significant" if m.significant else "within noise"
    else:
        evidence = "material change, untested" if m.moved else "small change, untested"
    direction = m.trend if m.polarity in ("up", "down") else "neither good nor bad"
    return f"{direction}, {evidence}"


def _metric_line(facts: _Facts, m: MetricDiff, source: str, currency: str) -> list[dict[str, str]]:
    """<value> (<relative change> vs <previous> the week before, <change>; <trend, evidence>); without the
    relative change when the previous value is not positive (-3,449% from a margin of -$61 says nothing)."""
    unit = _unit(m.name, m)
    segments = [facts.add(m.name, "value", m.b, fmt.value(m.b, unit, currency), source), _t(" (")]
    if m.relative_change is not None and m.a is not None and m.a > 0:  # a % of a negative base misleads
        segments += [facts.add(m.name, "relative_change", m.relative_change, fmt.relative(m.relative_change), source),
                     _t(" vs ")]
    else:
        segments.append(_t("from "))
    segments += [facts.add(m.name, "previous", m.a, fmt.value(m.a, unit, currency), source), _t(" the week before, ")]
    segments += [facts.add(m.name, "change", m.change, fmt.change(m.change, unit, currency), source),
                 _t(f"; {_judgement(m)})")]
    return segments


def _rows(snapshot: Snapshot, by: str) -> dict[Any, dict[str, Any]]:
    return {row["key"]: row for row in snapshot.breakdowns.get(by, [])}


def _bases(rows: Mapping[Any, dict[str, Any]]) -> dict[Any, dict[str, float]]:
    return {key: {b: float(row["kpis"].get(b, {}).get("value") or 0.0) for b in EXPLAINABLE_BASES}
            for key, row in rows.items()}


def _contributions(metric: str, a: Snapshot, b: Snapshot, by: str) -> list[dict[str, Any]] | None:
    """Each group's contribution to ``metric``'s change from snapshot a to b (analysis/explain.py's
    decomposition of the snapshots' breakdowns), largest first; None when not decomposable."""
    if metric not in EXPLAINABLE or by not in b.breakdowns or by not in a.breakdowns:
        return None
    rows_a, rows_b = _rows(a, by), _rows(b, by)
    try:
        _method, _now, _before, parts = decompose(metric, _bases(rows_b), _bases(rows_a))
    except GrowthOSError:
        return None
    labels = {k: r["label"] for k, r in {**rows_a, **rows_b}.items()}
    out = [{**p, "label": labels.get(p["key"]) or "(none)"} for p in parts
           if math.isfinite(p["contribution"]) and round(p["contribution"], 6) != 0]
    return sorted(out, key=lambda p: (-abs(p["contribution"]), str(p["key"])))


def _explanation(facts: _Facts, m: MetricDiff, a: Snapshot, b: Snapshot, source: str, currency: str) -> list[Item]:
    unit = _unit(m.name, m)
    children = []
    for by, top, title in (("channel", TOP_CHANNELS, "By channel: "), ("campaign", TOP_CAMPAIGNS, "Top campaigns: ")):
        parts = _contributions(m.name, a, b, by)
        if not parts:
            continue
        segments = [_t(title)]
        for i, p in enumerate(parts[:top]):
            contribution = round(p["contribution"], 6)
            segments += [_t(", ") if i else _t(""), _n(p["label"]), _t(" "),
                         facts.add(m.name, f"{by}_contribution", contribution,
                                   fmt.change(contribution, unit, currency), source, p["key"])]
            if m.change:
                part = round(contribution / m.change, 6)
                segments += [_t(" ("), facts.add(m.name, f"{by}_share", part, fmt.share(part), source, p["key"]),
                             _t(" of the change)")]
        children.append(Item([s for s in segments if s != {"text": ""}]))
    return children


def _growth(now: float | None, before: float | None) -> float | None:
    """Relative change from a positive base, else None."""
    if now is None or before is None or before <= 0:
        return None
    return round((now - before) / abs(before), 6)


def _channel_notes(facts: _Facts, a: Snapshot, b: Snapshot, source: str, currency: str) -> list[Item]:
    rows_a, rows_b = _rows(a, "channel"), _rows(b, "channel")
    order = list(rows_b) + [k for k in rows_a if k not in rows_b]
    items = []
    for key in order:
        row = rows_b.get(key) or rows_a[key]
        now = rows_b.get(key, {}).get("kpis", {})
        before = rows_a.get(key, {}).get("kpis", {})

        def v(kpis: dict[str, Any], name: str) -> float | None:
            return kpis.get(name, {}).get("value")

        segments = [_n(row["label"]), _t(": net revenue ")]
        paid = False
        for name, label in (("net_revenue", None), ("ad_spend", "ad spend"), ("mer", "ROAS")):
            value, previous = v(now, name), v(before, name)
            if name != "net_revenue" and not value and not previous:
                continue
            paid = paid or name == "ad_spend"
            unit = _unit(name)
            if label:
                segments.append(_t(f", {label} "))
            segments.append(facts.add(name, "channel_value", value, fmt.value(value, unit, currency), source, key))
            growth = _growth(value, previous)
            if growth is not None:
                segments += [_t(" ("), facts.add(name, "channel_relative_change", growth, fmt.relative(growth),
                                                 source, key), _t(")")]
            elif not previous:
                segments.append(_t(" (new this week)" if value else " (none either week)"))
        if not paid:
            segments.append(_t(", no ad spend"))
        items.append(Item(segments))
    return items


def _anomaly_items(facts: _Facts, anomalies: list[dict[str, Any]], currency: str) -> list[Item]:
    items = []
    for an in anomalies:
        unit, key = _unit(an["metric"]), f"{an['metric']}@{an['day']}"
        items.append(Item([
            facts.add(an["metric"], "day", an["day"], an["day"], "anomaly", key), _t(": "),
            _n(an.get("label") or an["metric"]), _t(" "),
            facts.add(an["metric"], "value", an["value"], fmt.value(an["value"], unit, currency), "anomaly", key),
            _t(" against an expected "),
            facts.add(an["metric"], "expected", an["expected"], fmt.value(an["expected"], unit, currency), "anomaly",
                      key),
            _t(f" ({'above' if an['direction'] == 'up' else 'below'} expectation, {an['severity']})"),
        ]))
    return items


def _alert_items(facts: _Facts, alerts: list[dict[str, Any]]) -> list[Item]:
    items = []
    for al in alerts:
        segments = [_t(f"{al['severity']} ({al['status']}): "), _n(al["rule"]), _t(": "),
                    facts.add(al["rule"], "message", al["message"], al["message"], "alert", al["id"])]
        if al.get("recommendation"):
            segments += [_t(" Recommendation: "), _n(al["recommendation"])]
        items.append(Item(segments))
    return items


def _forecast_items(facts: _Facts, forecasts: dict[str, dict[str, Any]], currency: str) -> list[Item]:
    items = []
    for name, f in forecasts.items():
        unit = _unit(name)
        label = CATALOGUE[name].label if name in CATALOGUE else name
        items.append(Item([
            _n(label), _t(": "),
            facts.add(name, "forecast", f["forecast"], fmt.value(f["forecast"], unit, currency), "forecast"),
            _t(f" expected ({FORECAST_LEVEL}% interval "),
            facts.add(name, f"lower_{FORECAST_LEVEL}", f["lower"], fmt.value(f["lower"], unit, currency), "forecast"),
            _t(" to "),
            facts.add(name, f"upper_{FORECAST_LEVEL}", f["upper"], fmt.value(f["upper"], unit, currency), "forecast"),
            _t(")"),
        ]))
    return items


def compose_review(a: Snapshot, b: Snapshot, *, anomalies: list[dict[str, Any]] | None = None,
                   alerts: list[dict[str, Any]] | None = None, forecasts: dict[str, dict[str, Any]] | None = None,
                   forecast_range: DateRange | None = None, generated_at: datetime | None = None) -> WeeklyReview:
    """The review of week ``b`` against week ``a`` (two week snapshots), with the anomalies (``detect`` rows), open
    alerts (``Alert.to_dict`` rows) and next week's forecasts ({metric: {forecast, lower, upper}}) given."""
    diff = diff_snapshots(a, b)
    by_name = diff.by_name()
    health = health_score(diff.metrics)
    source = f"diff:{a.id},{b.id}"
    currency = b.currency
    facts = _Facts()

    headline: list[Item] = []
    for name in HEADLINE_METRICS:
        m = by_name.get(name)
        if m is not None:
            headline.append(Item([_n(m.label), _t(": "), *_metric_line(facts, m, source, currency)]))
    if health.score is not None:
        headline.append(Item([_t("Health score: "), facts.add("health_score", "score", health.score,
                                                               fmt.count(health.score), source),
                              _t(" (see About these numbers)")]))

    moved: list[Item] = []
    top = insights(diff.metrics, TOP_INSIGHTS)
    for insight in top:
        m = by_name[insight.metric]
        moved.append(Item([_n(m.label), _t(f" {'rose' if m.direction == 'up' else 'fell'}: "),
                           *_metric_line(facts, m, source, currency)],
                          _explanation(facts, m, a, b, source, currency)))

    recommendations: list[Item] = []
    seen: set[str] = set()
    for insight in top:
        if (insight.trend == "stable" or insight.recommendation in seen
                or len(recommendations) >= MAX_RECOMMENDATIONS):
            continue
        seen.add(insight.recommendation)
        recommendations.append(Item([_n(insight.label), _t(f" ({insight.trend}): "), _n(insight.recommendation)]))

    outlook = [Item([_t("Next week: "), facts.add("forecast_range", "from", forecast_range.start.isoformat(),
                                                  forecast_range.start.isoformat(), "forecast"),
                     _t(" to "), facts.add("forecast_range", "to", forecast_range.end.isoformat(),
                                           forecast_range.end.isoformat(), "forecast"),
                     _t(" (sums of the daily forecasts and of their daily interval bounds)")])] \
        if forecasts and forecast_range else []
    outlook += _forecast_items(facts, forecasts or {}, currency)

    sections = [
        Section("headline", "Headline", headline, "No KPI could be compared."),
        Section("what_moved", "What moved and why", moved, "No KPI moved significantly or materially this week."),
        Section("channels", "Channel notes", _channel_notes(facts, a, b, source, currency), "No channel data."),
        Section("anomalies", "Anomalies of the week", _anomaly_items(facts, anomalies or [], currency),
                "No anomalous day in the headline KPIs."),
        Section("alerts", "Open alerts", _alert_items(facts, alerts or []), "No open alerts."),
        Section("forecast", "Forecast for next week", outlook, "No forecast available (not enough history)."),
        Section("recommendations", "Recommendations", recommendations, "Nothing to act on: no KPI moved."),
        Section("about", "About these numbers", [
            Item([_t("Snapshots compared: "), facts.add("snapshot", "previous_id", a.id, str(a.id), source),
                  _t(" (the week before) and "), facts.add("snapshot", "current_id", b.id, str(b.id), source),
                  _t(" (this week); significance after Benjamini–Hochberg across all metrics of the diff.")]),
            Item([_t("Health score: "), _n(FORMULA)]),
        ]),
    ]
    return WeeklyReview(
        week_start=b.period_start, week_end=b.period_end, previous_start=a.period_start, previous_end=a.period_end,
        currency=currency, timezone=b.timezone, snapshot_ids={"previous": a.id, "current": b.id}, source=source,
        health=health.to_dict(), sections=sections, facts=facts.facts,
        generated_at=(generated_at or datetime.now(UTC)).astimezone(UTC),
    )


# -- building from a workspace --------------------------------------------------------------------------------

PAGE = 500


def week_snapshot(engine: Any, store: Any, settings: Any, rng: DateRange) -> Snapshot:
    """The newest stored week snapshot starting on ``rng.start``, else a new one taken and stored."""
    offset = 0
    while True:
        rows = store.list_snapshots("week", PAGE, offset)
        for row in rows:
            if row.period_start == rng.start:
                return Snapshot.from_dict(row.payload, id=row.id)
        if len(rows) < PAGE:
            break
        offset += PAGE
    return save_snapshot(store, take_snapshot(engine, settings, "week", rng.end))


def review_week(last_full_day: date, week_end: date | None = None) -> DateRange:
    """The Monday–Sunday week containing ``week_end`` (default: the last complete one); InvalidInput naming
    ``week_end`` when it is not complete yet."""
    try:
        return period_bounds("week", last_full_day, week_end)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="week_end") from None


def next_week_forecast(engine: Any, week_end: date, metric: str) -> dict[str, Any]:
    """Seven-day totals of ``metric``'s daily forecast after ``week_end`` (fitted on the history up to it)."""
    from growthos.analysis.forecast import forecast

    result = forecast(engine, week_end, metric, horizon=7)
    lower, upper = result.bands[FORECAST_LEVEL]
    return {"forecast": round(float(result.points.sum()), 6), "lower": round(float(lower.sum()), 6),
            "upper": round(float(upper.sum()), 6), "model": result.model}


def build_wbr(workspace: Any = None, *, engine: Any = None, store: Any = None, settings: Any = None,
              week_end: date | None = None, generated_at: datetime | None = None) -> WeeklyReview:
    """The Weekly Business Review of the week containing ``week_end`` (default: the last complete Monday–Sunday
    week in the reporting time zone). Give a Workspace, or its engine (a warehouse reader), app store and
    settings. Takes and stores the two week snapshots unless stored already."""
    from growthos.analysis.anomalies import detect
    from growthos.core.errors import NotFound

    if workspace is not None:
        engine = engine or workspace.engine
        store = store or workspace.store
        settings = settings or workspace.settings
    if engine is None or store is None or settings is None:
        raise TypeError("build_wbr needs a workspace, or engine, store and settings")
    last_full_day = settings.today() - timedelta(days=1)
    rng = review_week(last_full_day, week_end)
    prev = previous_period("week", rng)
    current = week_snapshot(engine, store, settings, rng)
    previous = week_snapshot(engine, store, settings, prev)
    found = detect(engine, rng, last_full_day)["anomalies"]
    open_alerts = [al.to_dict() for al in store.list_alerts(status="active", limit=MAX_ALERTS)]
    forecasts = {}
    for metric in FORECAST_METRICS:
        try:
            forecasts[metric] = next_week_forecast(engine, rng.end, metric)
        except NotFound:
            continue
    next_week = DateRange(rng.end + timedelta(days=1), rng.end + timedelta(days=7))
    return compose_review(previous, current, anomalies=found, alerts=open_alerts, forecasts=forecasts,
                          forecast_range=next_week, generated_at=generated_at)
