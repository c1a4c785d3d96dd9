"""/api/ltv on the demo shop: counts that SQL on fact_orders confirms, the cohort LTV of /api/metrics/cohorts
beside the prediction, the cache, and bad input."""

from __future__ import annotations

import httpx
import pytest
from support.server import empty_server


def get(live_server, params: dict | None = None, scope: str | None = "read") -> httpx.Response:
    headers = live_server.auth(scope) if scope else {}
    return httpx.get(live_server.url + "/api/ltv", params=params or {}, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def body(live_server) -> dict:
    response = get(live_server)
    assert response.status_code == 200, response.text
    return response.json()


def test_counts_match_fact_orders(live_server, body):
    last_day = live_server.app.state.growthos.workspace.last_full_day
    [counts] = live_server.warehouse_rows("""
        SELECT count(*) AS customers, count(*) FILTER (WHERE days > 1) AS repeat_customers
        FROM (SELECT customer_id, count(DISTINCT order_date) AS days FROM fact_orders
              WHERE customer_id IS NOT NULL AND order_date <= ? GROUP BY customer_id)""", [last_day])
    summary = body["summary"]
    assert summary["customers"] == body["bg_nbd"]["customers"] == counts["customers"]
    assert summary["repeat_customers"] == counts["repeat_customers"]
    assert sum(b["customers"] for b in summary["p_alive_histogram"]) == counts["customers"]
    assert body["observation_end"] == last_day.isoformat()


def test_parameters_and_top_customers(body):
    for name in ("r", "alpha", "a", "b", "p", "q", "gamma"):
        assert (body["bg_nbd"] | body["gamma_gamma"])[name] > 0
    top = body["customers"]
    assert len(top) == 20
    assert [c["clv"] for c in top] == sorted((c["clv"] for c in top), reverse=True)
    for c in top:
        assert 0 <= c["p_alive"] <= 1
        assert c["clv"] == pytest.approx(c["expected_purchases"] * c["expected_value"], rel=1e-5)
    assert 0 < body["summary"]["mean_clv"] < top[-1]["clv"]


def test_cohort_ltv_is_the_cohorts_page_ltv(live_server, body):
    cohorts = httpx.get(live_server.url + "/api/metrics/cohorts", headers=live_server.auth("read"),
                        timeout=60).json()["cohorts"]
    assert [c["cohort_month"] for c in body["cohorts"]] == [c["cohort_month"] for c in cohorts]
    for ours, theirs in zip(body["cohorts"], cohorts, strict=True):
        assert ours["customers"] == theirs["customers"]
        assert ours["observed_ltv"] == theirs["ltv"][-1]
        assert ours["projected_ltv"] == pytest.approx(ours["observed_ltv"] + ours["predicted_clv"], abs=1e-5)
    weighted = sum(c["observed_ltv"] * c["customers"] for c in body["cohorts"])
    assert body["summary"]["mean_observed_ltv"] == pytest.approx(
        weighted / sum(c["customers"] for c in body["cohorts"]), abs=1e-5)


def test_days_give_the_same_predictions(live_server, body):
    days = get(live_server, {"time_unit": "day"}).json()
    assert days["bg_nbd"]["alpha"] == pytest.approx(7 * body["bg_nbd"]["alpha"], rel=1e-4)
    assert days["summary"]["mean_clv"] == pytest.approx(body["summary"]["mean_clv"], rel=1e-3)
    assert [c["customer_id"] for c in days["customers"][:5]] == [c["customer_id"] for c in body["customers"][:5]]


def test_cached_until_the_next_build(live_server, body):
    state = live_server.app.state.growthos
    key = ("ltv", 12, "week", 0.0, 20, state.workspace.last_full_day)
    assert state.results.get_or_compute(key, lambda: pytest.fail("recomputed")) == body


def test_bad_input(live_server):
    for params, name in (({"horizon": 0}, "horizon"), ({"time_unit": "month"}, "time_unit"),
                         ({"discount_rate": 1}, "discount_rate")):
        response = get(live_server, params)
        assert response.status_code == 422, params
        assert response.json()["invalid_params"][0]["name"] == name
    assert get(live_server, scope=None).status_code == 401


def test_unbuilt_warehouse(tmp_path):
    with empty_server(tmp_path / "data") as live:
        response = get(live)
    assert response.status_code == 404 and "not been built" in response.json()["detail"]
