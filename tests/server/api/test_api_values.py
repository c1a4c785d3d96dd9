"""Values served by the API agree with the CLI and with each other, computed by independent routes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from growthos.cli import app as cli

PERIOD = {"from": "2026-01-11", "to": "2026-02-09"}


@pytest.fixture(scope="module")
def read(live_server):
    return live_server.auth("read")


@pytest.fixture(scope="module")
def summary(api, read):
    response = api.get("/api/metrics/summary", params=PERIOD, headers=read)
    assert response.status_code == 200
    return response.json()


def test_summary_equals_cli_kpis_json(summary, live_server):
    result = CliRunner().invoke(cli, ["--data-dir", str(live_server.settings.data_dir), "kpis", "--from",
                                      PERIOD["from"], "--to", PERIOD["to"], "--json"])
    assert result.exit_code == 0, result.output
    assert summary == json.loads(result.stdout)


def _get(api, read, route, **params):
    response = api.get(route, params=params, headers=read)
    assert response.status_code == 200, response.text
    return response.json()


def _kpi(summary, name, which="value"):
    return summary["kpis"][name][which]


def test_summary_compares_with_the_previous_30_days(summary):
    assert (summary["from"], summary["to"]) == ("2026-01-11", "2026-02-09")
    assert (summary["previous_from"], summary["previous_to"]) == ("2025-12-12", "2026-01-10")
    orders = summary["kpis"]["orders"]
    assert orders["change"] == pytest.approx(orders["value"] - orders["previous"])
    assert orders["change_pct"] == pytest.approx(orders["change"] / orders["previous"], abs=1e-6)
    assert _kpi(summary, "aov") == pytest.approx(_kpi(summary, "net_revenue") / _kpi(summary, "orders"), abs=1e-5)


def test_presets_end_on_the_last_full_day(api, read, live_server, summary):
    from datetime import timedelta

    today = live_server.settings.today()
    for preset, days in (("7d", 7), ("30d", 30), ("90d", 90)):
        data = _get(api, read, "/api/metrics/summary", range=preset, metrics="orders")
        assert data["to"] == (today - timedelta(days=1)).isoformat()
        assert data["from"] == (today - timedelta(days=days)).isoformat()
    # The last 30 full days are the default, and here they are PERIOD.
    assert _get(api, read, "/api/metrics/summary", range="30d") == summary
    assert _get(api, read, "/api/metrics/summary") == summary


def test_metric_filter_keeps_values(api, read, summary):
    data = _get(api, read, "/api/metrics/summary", metrics="orders, aov", **PERIOD)
    assert list(data["kpis"]) == ["orders", "aov"]
    assert data["kpis"] == {k: summary["kpis"][k] for k in ("orders", "aov")}


ADDITIVE = ("orders", "net_revenue", "ad_spend", "sessions", "new_customers")


def test_daily_series_sum_to_the_summary(api, read, summary):
    data = _get(api, read, "/api/metrics/timeseries", metrics=",".join(ADDITIVE), interval="day", **PERIOD)
    assert data["interval"] == "day"
    assert len(data["dates"]) == 30
    assert (data["dates"][0], data["dates"][-1]) == (PERIOD["from"], PERIOD["to"])
    for name in ADDITIVE:
        assert len(data["series"][name]) == 30
        assert sum(v or 0 for v in data["series"][name]) == pytest.approx(_kpi(summary, name), abs=1e-3), name


def test_weekly_series_sum_to_the_daily_ones(api, read, summary):
    data = _get(api, read, "/api/metrics/timeseries", metrics=",".join(ADDITIVE), interval="week", **PERIOD)
    # 2026-01-11 is a Sunday: the first week is cut to that one day; weeks start on Mondays.
    assert data["dates"][0] == "2026-01-05"
    assert data["dates"][1] == "2026-01-12"
    assert len(data["dates"]) == 6
    for name in ADDITIVE:
        assert sum(v or 0 for v in data["series"][name]) == pytest.approx(_kpi(summary, name), abs=1e-3), name


def test_channels_add_up_to_the_summary(api, read, summary):
    data = _get(api, read, "/api/metrics/channels", **PERIOD)
    rows = data["rows"]
    channels = {r["channel"]: r for r in rows}
    assert {"meta", "google_ads", "email", "direct"} <= set(channels)
    assert channels["meta"]["label"] == "Meta Ads" and channels["meta"]["is_paid"] is True
    assert channels["email"]["is_paid"] is False
    for name in ("ad_spend", "net_revenue", "orders", "new_customers"):
        for which in ("value", "previous"):
            total = sum(r["kpis"][name][which] or 0 for r in rows)
            assert total == pytest.approx(_kpi(summary, name, which), abs=1e-3), (name, which)
    for row in rows:
        assert set(row["kpis"]) == {"ad_spend", "net_revenue", "orders", "new_customers", "platform_roas", "mer",
                                    "ncac", "cpc", "ctr", "conversion_rate"}
        if not row["is_paid"]:
            assert not row["kpis"]["ad_spend"]["value"]
            assert row["kpis"]["mer"]["value"] is None
    meta = channels["meta"]["kpis"]
    assert meta["mer"]["value"] == pytest.approx(meta["net_revenue"]["value"] / meta["ad_spend"]["value"], abs=1e-5)
    revenue = [r["kpis"]["net_revenue"]["value"] or 0 for r in rows]
    assert revenue == sorted(revenue, reverse=True)


def test_campaigns_add_up_to_the_summary(api, read, summary):
    rows = _get(api, read, "/api/metrics/campaigns", **PERIOD)["rows"]
    for name in ("ad_spend", "net_revenue", "orders"):
        assert sum(r["kpis"][name]["value"] or 0 for r in rows) == pytest.approx(_kpi(summary, name), abs=1e-3)
    named = {r["campaign"]: r for r in rows}
    assert named[None]["label"] == "(no campaign)"
    broad = named["meta:prospecting - broad"]
    assert (broad["label"], broad["channel"], broad["channel_label"], broad["is_paid"]) == (
        "Prospecting - Broad", "meta", "Meta Ads", True)


def test_funnel_starts_with_the_summary_sessions(api, read, summary):
    data = _get(api, read, "/api/metrics/funnel", **PERIOD)
    steps = data["steps"]
    assert [s["step"] for s in steps] == ["sessions", "add_to_carts", "checkouts", "purchases"]
    assert steps[0]["count"] == _kpi(summary, "sessions")
    assert steps[0]["previous_count"] == _kpi(summary, "sessions", "previous")
    assert steps[0]["overall_conversion"] == 1
    for before, step in zip(steps, steps[1:], strict=False):
        assert step["count"] <= before["count"]
        assert step["step_conversion"] == pytest.approx(step["count"] / before["count"])


def test_unit_economics_per_order_matches_the_summary(api, read, summary):
    data = _get(api, read, "/api/metrics/unit-economics", **PERIOD)
    assert data["orders"] == _kpi(summary, "orders")
    steps = {s["step"]: s for s in data["steps"]}
    assert steps["net_revenue"]["per_order"] == pytest.approx(_kpi(summary, "aov"), abs=1e-5)
    assert steps["gross_sales"]["total"] == pytest.approx(_kpi(summary, "gross_sales"), abs=1e-3)
    assert steps["marketing"]["total"] == pytest.approx(-_kpi(summary, "ad_spend"), abs=1e-3)
    assert steps["contribution"]["total"] == pytest.approx(_kpi(summary, "contribution_margin"), abs=1e-3)
    # The waterfall adds up: gross sales minus every cost per order is the contribution per order.
    parts = [s["per_order"] for s in data["steps"] if not s.get("subtotal")]
    assert sum(parts) == pytest.approx(steps["contribution"]["per_order"], abs=1e-6)


def test_cohorts_all_by_default_and_filtered_by_range(api, read):
    everything = _get(api, read, "/api/metrics/cohorts")["cohorts"]
    months = [c["cohort_month"] for c in everything]
    assert months == sorted(months) and len(months) >= 3
    first_day = months[0]
    # Every customer belongs to the cohort of their first order: the cohorts' sizes are all new customers.
    since_start = _get(api, read, "/api/metrics/summary", metrics="new_customers", to="2026-02-09",
                       **{"from": first_day})
    assert sum(c["customers"] for c in everything) == _kpi(since_start, "new_customers")
    recent = _get(api, read, "/api/metrics/cohorts", **PERIOD)["cohorts"]
    assert [c["cohort_month"] for c in recent] == ["2026-01-01", "2026-02-01"]
    assert recent == [c for c in everything if c["cohort_month"] in ("2026-01-01", "2026-02-01")]


def test_catalogue_defines_every_summary_kpi(api, read, summary):
    metrics = _get(api, read, "/api/catalogue")["metrics"]
    assert [m["name"] for m in metrics] == list(summary["kpis"])
    mer = next(m for m in metrics if m["name"] == "mer")
    assert mer["unit"] == "multiple" and mer["polarity"] == "up" and "net revenue" in mer["formula"]


def test_jobs_page_and_lookup(api, read):
    jobs = _get(api, read, "/api/jobs")["jobs"]
    assert jobs and all(j["status"] in ("running", "succeeded", "failed") for j in jobs)
    started = [j["started_at"] for j in jobs]
    assert started == sorted(started, reverse=True)
    second = _get(api, read, "/api/jobs", limit=1, offset=1)
    assert second == {"jobs": jobs[1:2], "limit": 1, "offset": 1}
    builds = _get(api, read, "/api/jobs", kind="build", status="succeeded")["jobs"]
    assert builds and all(j["kind"] == "build" and j["status"] == "succeeded" for j in builds)
    assert _get(api, read, f"/api/jobs/{builds[0]['id']}") == builds[0]


def test_checks_are_the_latest_builds(api, read):
    checks = _get(api, read, "/api/checks")["checks"]
    assert checks and all(c["status"] in ("pass", "warn", "fail") for c in checks)
    assert len({c["job_id"] for c in checks}) == 1
    job = _get(api, read, f"/api/jobs/{checks[0]['job_id']}")
    assert job["kind"] == "build"
