"""The demo end to end through the real CLI: deterministic KPIs, reconciliation with the raw payloads,
idempotent re-ingestion, and data-quality checks that pass on clean data."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from growthos.cli import app
from growthos.sources.demo import ANOMALIES, DEMO_END_DATE, generate

NY = ZoneInfo("America/New_York")
FX = {"USD": Decimal(1), "CAD": Decimal("0.73")}
runner = CliRunner()


def cli(data_dir: Path, *args: str) -> str:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def demo_dirs(tmp_path_factory) -> tuple[Path, Path]:
    first, second = tmp_path_factory.mktemp("demo-a"), tmp_path_factory.mktemp("demo-b")
    cli(first, "demo", "--no-serve")
    cli(second, "demo", "--no-serve")
    return first, second


KPI_ARGS = ("kpis", "--from", "2026-01-11", "--to", "2026-02-09", "--json")


def test_two_demo_runs_give_byte_identical_kpis(demo_dirs):
    first, second = demo_dirs
    a, b = cli(first, *KPI_ARGS), cli(second, *KPI_ARGS)
    assert a == b
    data = json.loads(a)
    assert (data["from"], data["to"], data["previous_from"], data["previous_to"]) == (
        "2026-01-11", "2026-02-09", "2025-12-12", "2026-01-10")
    assert data["kpis"]["orders"]["value"] > 0
    for by in ("channel", "campaign"):
        assert cli(first, *KPI_ARGS, "--by", by) == cli(second, *KPI_ARGS, "--by", by)


def _independent_totals(start: date, end: date) -> dict[str, Decimal]:
    """Net revenue and ad spend straight from the generator's payloads, by the documented formulas."""
    latest: dict[str, dict] = {}
    spend = Decimal(0)
    for rec in generate():
        p = rec.payload
        if rec.source == "shopify" and rec.entity == "order":
            if rec.external_id not in latest or p["updatedAt"] >= latest[rec.external_id]["updatedAt"]:
                latest[rec.external_id] = p
        elif rec.source == "meta" and start <= date.fromisoformat(p["date_start"]) <= end:
            spend += Decimal(p["spend"]) * FX[p["account_currency"]]
        elif rec.source == "google_ads" and start <= date.fromisoformat(p["segments"]["date"]) <= end:
            spend += Decimal(p["metrics"]["costMicros"]) / Decimal(1_000_000) * FX[p["customer"]["currencyCode"]]
    net = Decimal(0)
    for p in latest.values():
        day = datetime.fromisoformat(p["createdAt"].replace("Z", "+00:00")).astimezone(NY).date()
        if p.get("test") or p.get("cancelledAt") or not (start <= day <= end):
            continue
        currency = p["subtotalPriceSet"]["shopMoney"]["currencyCode"]
        refunded = sum(
            (Decimal(rl["subtotalSet"]["shopMoney"]["amount"]) for r in p["refunds"]
             for rl in r["refundLineItems"]["nodes"]), Decimal(0))
        net += (Decimal(p["subtotalPriceSet"]["shopMoney"]["amount"]) - refunded) * FX[currency]
    return {"net_revenue": net, "ad_spend": spend}


def test_kpis_reconcile_with_the_raw_payloads(demo_dirs):
    data = json.loads(cli(demo_dirs[0], *KPI_ARGS))
    expected = _independent_totals(date(2026, 1, 11), date(2026, 2, 9))
    assert data["kpis"]["net_revenue"]["value"] == pytest.approx(float(expected["net_revenue"]), abs=0.01)
    assert data["kpis"]["ad_spend"]["value"] == pytest.approx(float(expected["ad_spend"]), abs=0.01)


def _marts(data_dir: Path) -> dict[str, list]:
    from growthos.warehouse.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine(data_dir / "warehouse.duckdb", read_only=True)
    try:
        return {t: engine.query(f"SELECT * FROM {t} ORDER BY ALL").to_pylist()
                for t in ("fact_orders", "fact_spend", "fact_traffic", "dim_customer", "dim_campaign", "cohorts")}
    finally:
        engine.close()


def test_ingesting_the_demo_twice_yields_identical_marts(demo_dirs, tmp_path):
    first, _ = demo_dirs
    before = _marts(first)
    output = cli(first, "demo", "--no-serve", "--json")
    assert json.loads(output)["kpis"]
    assert _marts(first) == before


def test_checks_pass_on_the_demo(demo_dirs):
    results = json.loads(cli(demo_dirs[0], "checks", "--json"))
    assert len(results) >= 10
    failing = {r["name"]: r["detail"] for r in results if r["status"] == "fail"}
    assert failing == {}


def test_anomalies_are_listed_as_ground_truth(tmp_path):
    rows = json.loads(cli(tmp_path, "demo", "--list-anomalies", "--json"))
    assert len(rows) == len(ANOMALIES) >= 5
    for row in rows:
        assert row["kind"] and row["metrics"]
        assert date.fromisoformat(row["start"]) <= date.fromisoformat(row["end"]) <= DEMO_END_DATE


@pytest.mark.parametrize(("args", "message"), [
    (("kpis", "--from", "2026-02-09", "--to", "2026-02-01"), "after"),
    (("kpis", "--from", "02/01/2026", "--to", "2026-02-09"), "YYYY-MM-DD"),
    (("kpis", "--range", "30d", "--by", "weekday"), "channel, campaign, segment"),
    (("kpis", "--range", "30d", "--metrics", "revenue"), "unknown metric"),
])
def test_bad_arguments_get_one_clear_line(demo_dirs, args, message):
    result = runner.invoke(app, ["--data-dir", str(demo_dirs[0]), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_weekly_series_add_up_the_daily_series(demo_dirs):
    from growthos.core.periods import DateRange
    from growthos.metrics.evaluate import timeseries
    from growthos.warehouse.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine(demo_dirs[0] / "warehouse.duckdb", read_only=True)
    try:
        rng = DateRange(date(2026, 1, 7), date(2026, 2, 9))  # a Wednesday to a Monday: partial weeks at both ends
        names = ["net_revenue", "orders", "ad_spend", "sessions", "aov", "new_customers"]
        daily = timeseries(engine, rng, date(2026, 2, 9), names, "day")
        weekly = timeseries(engine, rng, date(2026, 2, 9), names, "week")
    finally:
        engine.close()
    assert weekly["dates"][0] == "2026-01-05" and weekly["dates"][-1] == "2026-02-09"
    for i, week in enumerate(weekly["dates"]):
        start = date.fromisoformat(week)
        idx = [j for j, d in enumerate(daily["dates"]) if 0 <= (date.fromisoformat(d) - start).days < 7]
        for name in ("net_revenue", "orders", "ad_spend", "sessions", "new_customers"):
            assert weekly["series"][name][i] == pytest.approx(sum(daily["series"][name][j] for j in idx), abs=1e-4)
        orders = sum(daily["series"]["orders"][j] for j in idx)
        revenue = sum(daily["series"]["net_revenue"][j] for j in idx)
        assert weekly["series"]["aov"][i] == pytest.approx(revenue / orders, rel=1e-6)


def _demo_engine(data_dir: Path):
    from growthos.warehouse.duckdb_engine import DuckDBEngine

    return DuckDBEngine(data_dir / "warehouse.duckdb", read_only=True)


def test_funnel_matches_the_ga4_rows(demo_dirs):
    from growthos.core.periods import DateRange
    from growthos.metrics.funnel import funnel

    start, end = date(2026, 1, 11), date(2026, 2, 9)
    totals = [0, 0, 0, 0]
    for rec in generate():
        if rec.source == "ga4":
            day = datetime.strptime(rec.payload["dimensionValues"][0]["value"], "%Y%m%d").date()
            if start <= day <= end:
                values = [int(v["value"]) for v in rec.payload["metricValues"][:6]]
                for i, position in enumerate((0, 3, 4, 5)):  # sessions, addToCarts, checkouts, ecommercePurchases
                    totals[i] += values[position]
    engine = _demo_engine(demo_dirs[0])
    try:
        steps = funnel(engine, DateRange(start, end))["steps"]
    finally:
        engine.close()
    assert [s["count"] for s in steps] == totals
    assert steps[0]["step_conversion"] is None
    for i in (1, 2, 3):
        assert steps[i]["step_conversion"] == pytest.approx(totals[i] / totals[i - 1])
    assert steps[3]["overall_conversion"] == pytest.approx(totals[3] / totals[0])


def test_unit_economics_waterfall_ends_at_contribution_per_order(demo_dirs):
    from growthos.core.periods import DateRange
    from growthos.metrics.unit_economics import unit_economics

    data = json.loads(cli(demo_dirs[0], *KPI_ARGS))["kpis"]
    engine = _demo_engine(demo_dirs[0])
    try:
        steps = {s["step"]: s for s in unit_economics(engine, DateRange(date(2026, 1, 11), date(2026, 2, 9)),
                                                       date(2026, 2, 9))["steps"]}
    finally:
        engine.close()
    orders = data["orders"]["value"]
    assert steps["gross_sales"]["per_order"] == pytest.approx(data["gross_sales"]["value"] / orders)
    assert steps["net_revenue"]["per_order"] == pytest.approx(data["aov"]["value"], abs=1e-6)
    deltas = sum(s["per_order"] for k, s in steps.items() if not s.get("subtotal"))
    assert deltas == pytest.approx(steps["contribution"]["per_order"])
    assert steps["contribution"]["per_order"] == pytest.approx(data["contribution_margin"]["value"] / orders,
                                                               abs=1e-6)
    assert steps["marketing"]["per_order"] == pytest.approx(-data["ad_spend"]["value"] / orders, abs=1e-6)


def test_cohort_sizes_and_month_zero_match_first_orders_in_the_raw_payloads(demo_dirs):
    from growthos.metrics.cohorts import cohorts

    latest: dict[str, dict] = {}
    for rec in generate():
        if rec.source == "shopify" and rec.entity == "order":
            latest[rec.external_id] = rec.payload
    first_month: dict[str, str] = {}
    for p in sorted(latest.values(), key=lambda p: p["createdAt"]):
        day = datetime.fromisoformat(p["createdAt"].replace("Z", "+00:00")).astimezone(NY).date()
        first_month.setdefault(p["customer"]["id"], day.replace(day=1).isoformat())
    sizes: dict[str, int] = {}
    for month in first_month.values():
        sizes[month] = sizes.get(month, 0) + 1
    engine = _demo_engine(demo_dirs[0])
    try:
        result = cohorts(engine)["cohorts"]
    finally:
        engine.close()
    assert {c["cohort_month"]: c["customers"] for c in result} == sizes
    for c in result:
        assert c["retention"][0] == 1.0
        assert all(0 <= r <= 1 for r in c["retention"])
        assert c["ltv"] == sorted(c["ltv"])  # cumulative revenue per customer never falls


def test_each_metric_alone_equals_its_value_among_all(demo_dirs):
    """Only the queries a metric needs run when it is asked for alone; the value must not change."""
    from growthos.core.periods import DateRange
    from growthos.metrics.catalogue import CATALOGUE
    from growthos.metrics.evaluate import breakdown, summary

    engine = _demo_engine(demo_dirs[0])
    rng, last = DateRange(date(2025, 12, 1), date(2026, 2, 9)), date(2026, 2, 9)
    try:
        everything = summary(engine, rng, last)["kpis"]
        by_channel = {r["channel"]: r["kpis"] for r in breakdown(engine, rng, "channel", last)["rows"]}
        for name in CATALOGUE:
            assert summary(engine, rng, last, [name])["kpis"][name] == everything[name], name
            alone = {r["channel"]: r["kpis"][name] for r in breakdown(engine, rng, "channel", last, [name])["rows"]}
            assert alone == {channel: kpis[name] for channel, kpis in by_channel.items() if channel in alone}, name
    finally:
        engine.close()
