"""/api/budget on the demo shop: current spends that SQL on fact_spend confirms, the total kept, equal
marginal returns at the recommendation, limits honoured, bad input naming the field, the answer kept until the
next build. /api/aarrr/acquisition: the channel KPIs with groups, and the new fields checked against independent
SQL on the served marts (impressions, clicks, LTV 90d), the demo's monthly budgets prorated by hand, and sign-ups
that add up to the Activation page's."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest


def get(live_server, params: dict | list | None = None) -> httpx.Response:
    return httpx.get(live_server.url + "/api/budget", params=params or {}, headers=live_server.auth("read"),
                     timeout=120)


@pytest.fixture(scope="module")
def body(live_server) -> dict:
    response = get(live_server)
    assert response.status_code == 200, response.text
    return response.json()


def test_current_spend_is_the_28_day_mean_of_fact_spend(live_server, body):
    last_day = live_server.app.state.growthos.workspace.last_full_day
    rows = live_server.warehouse_rows("""
        SELECT channel, avg(spend) AS mean FROM (
            SELECT channel, date, sum(spend) AS spend FROM fact_spend WHERE date BETWEEN ? AND ?
            GROUP BY channel, date) GROUP BY channel""", [last_day - timedelta(days=27), last_day])
    expected = {r["channel"]: float(r["mean"]) for r in rows}
    assert body["channels"], body
    for c in body["channels"]:
        assert c["current_spend"] == pytest.approx(expected[c["channel"]], rel=1e-9)
    assert body["total"] == pytest.approx(sum(c["current_spend"] for c in body["channels"]))
    assert sum(c["recommended_spend"] for c in body["channels"]) == pytest.approx(body["total"])
    assert body["effect_low"] <= body["effect_high"]


def test_interior_channels_share_one_marginal_return(body):
    free = [c for c in body["channels"]
            if c["current_spend"] * 0.5 + 1e-6 < c["recommended_spend"] < c["current_spend"] * 1.5 - 1e-6]
    for c in free[1:]:
        assert c["marginal_recommended"] == pytest.approx(free[0]["marginal_recommended"], rel=1e-6)


def test_limit_is_respected(live_server, body):
    first = body["channels"][0]
    cap = first["current_spend"] * 0.8
    response = get(live_server, [("limit", f"{first['channel']}=0:{cap}")])
    assert response.status_code == 200, response.text
    row = next(c for c in response.json()["channels"] if c["channel"] == first["channel"])
    assert row["recommended_spend"] <= cap + 1e-6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ([("total", "-5")], "total"),
        ([("limit", "meta=50:10")], "limit.meta"),
        ([("limit", "nosuchchannel=0:10")], "limits"),
        ([("limit", "meta")], "limit"),
    ],
)
def test_bad_input_names_the_field(live_server, params, field):
    response = get(live_server, params)
    assert response.status_code == 422, response.text
    assert field in response.text


def test_acquisition_rows_equal_the_channel_kpis_with_groups(live_server):
    headers = live_server.auth("read")
    ours = httpx.get(live_server.url + "/api/aarrr/acquisition", params={"range": "30d"}, headers=headers,
                     timeout=60).json()
    theirs = httpx.get(live_server.url + "/api/metrics/channels", params={"range": "30d"}, headers=headers,
                       timeout=60).json()
    assert [r["kpis"] for r in ours["rows"]] == [r["kpis"] for r in theirs["rows"]]
    groups = {r["channel"]: r["group"] for r in ours["rows"]}
    assert groups.get("meta") == "paid" and groups.get("direct", "direct") == "direct"
    assert groups.get("organic_search", "organic") == "organic"
    for r in ours["rows"]:
        spend, orders = r["kpis"]["ad_spend"]["value"], r["kpis"]["orders"]["value"]
        if spend and orders:  # cost per conversion = spend / orders
            assert r["cost_per_conversion"] == pytest.approx(float(spend) / float(orders))
    assert any(r["cost_per_conversion"] for r in ours["rows"] if r["group"] == "paid")


def test_budget_advice_is_kept_until_the_next_build(live_server, body):
    state = live_server.app.state.growthos
    key = ("budget", None, (), state.workspace.last_full_day)
    assert state.results.get_or_compute(key, lambda: pytest.fail("the default advice was not cached")) == body
    again = get(live_server)
    assert again.status_code == 200 and again.json() == body


def acquisition_body(live_server, **params) -> httpx.Response:
    return httpx.get(live_server.url + "/api/aarrr/acquisition", params=params or {"range": "30d"},
                     headers=live_server.auth("read"), timeout=120)


@pytest.fixture(scope="module")
def acq(live_server) -> dict:
    response = acquisition_body(live_server)
    assert response.status_code == 200, response.text
    return response.json()


def test_impressions_clicks_and_ltv_agree_with_sql(live_server, acq):
    start, end = date.fromisoformat(acq["from"]), date.fromisoformat(acq["to"])
    assert (start, end) == (date(2026, 1, 11), date(2026, 2, 9))
    ads = {r["channel"]: r for r in live_server.warehouse_rows(
        "SELECT channel, sum(impressions) AS i, sum(clicks) AS c FROM fact_spend WHERE date BETWEEN ? AND ? "
        "GROUP BY channel", [start, end])}
    ltv = {r["channel"]: float(r["ltv"]) for r in live_server.warehouse_rows("""
        SELECT acquisition_channel AS channel, sum(revenue) / count(*) AS ltv FROM (
            SELECT customer_id, any_value(acquisition_channel) AS acquisition_channel,
                   sum(net_revenue) FILTER (WHERE days_since_first_order < 90) AS revenue
            FROM fact_orders WHERE customer_id IS NOT NULL AND customer_first_order_date BETWEEN ? AND ?
            GROUP BY customer_id) GROUP BY 1""", [start - timedelta(days=89), end - timedelta(days=89)])}
    rows = {r["channel"]: r for r in acq["rows"]}
    assert {"meta", "google_ads"} <= set(ads)
    for channel, row in rows.items():
        if channel in ads:
            assert (row["impressions"], row["clicks"]) == (float(ads[channel]["i"]), float(ads[channel]["c"]))
        assert row["ltv"] == pytest.approx(ltv.get(channel), abs=1e-6) if channel in ltv else row["ltv"] is None
    assert all(rows[c]["ltv"] for c in ("meta", "google_ads"))


def test_demo_budgets_prorated_by_day(live_server, acq):
    rows = {r["channel"]: r for r in acq["rows"]}
    # 2026-01-11..02-09: 21 of January's 31 days and 9 of February's 28
    for channel, monthly in (("meta", 16000), ("google_ads", 9000)):
        row = rows[channel]
        budget = monthly * 21 / 31 + monthly * 9 / 28
        spend = row["kpis"]["ad_spend"]["value"]
        assert row["budget_monthly"] == monthly
        assert row["budget"] == pytest.approx(budget, abs=1e-6)
        assert row["utilisation"] == pytest.approx(spend / budget, abs=1e-6)
        assert row["remaining"] == pytest.approx(budget - spend, abs=1e-6)
        assert 0.5 < row["utilisation"] < 1.2
    for channel, row in rows.items():
        if channel not in ("meta", "google_ads"):
            assert (row["budget"], row["utilisation"], row["remaining"]) == (None, None, None), channel
    totals = acq["budgets"]
    assert totals["budget"] == pytest.approx(25000 * 21 / 31 + 25000 * 9 / 28, abs=1e-6)
    assert totals["channels"] == ["google_ads", "meta"] and totals["channels_without_rows"] == []


def test_signups_add_up_to_the_activation_page(live_server, acq):
    activation = httpx.get(live_server.url + "/api/aarrr/activation", params={"range": "30d"},
                           headers=live_server.auth("read"), timeout=120).json()
    signups = acq["signups"]
    assert signups["event"] == "Signed Up" and signups["total"] == activation["signups"] > 0
    parts = [r for r in acq["rows"] if r["signups"]] + list(signups["other_channels"].values())
    assert sum(p["signups"] for p in parts) == activation["signups"]
    assert sum(p["activated"] for p in parts) == activation["activated"]
    assert sum(p["signups_in_progress"] for p in parts) == activation["in_progress"]
    for p in parts:
        decided = p["signups"] - p["signups_in_progress"]
        assert p["user_quality"] == (pytest.approx(p["activated"] / decided, abs=1e-6) if decided else None)
    # the demo app's visitors come from search, social, referrers and direct visits: no paid sign-ups
    assert {r["channel"] for r in acq["rows"] if r["signups"]} >= {"direct", "referral", "organic_search"}


def test_acquisition_bad_range_names_the_field(live_server):
    response = acquisition_body(live_server, range="5d")
    assert response.status_code == 422, response.text
    assert response.json()["invalid_params"][0]["name"] == "range"
