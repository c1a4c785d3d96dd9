"""/api/budget on the demo shop: current spends that SQL on fact_spend confirms, the total kept, equal
marginal returns at the recommendation, limits honoured, and bad input naming the field."""

from __future__ import annotations

from datetime import timedelta

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
