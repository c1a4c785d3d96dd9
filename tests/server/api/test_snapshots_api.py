"""/api/snapshots and /api/explain on the live demo server: create (admin only), list, get, diff, explain."""

from __future__ import annotations

import pytest

from growthos.metrics.catalogue import CATALOGUE


@pytest.fixture(scope="module")
def two_snapshots(api, live_server):
    admin = live_server.auth("admin")
    first = api.post("/api/snapshots", json={"period": "week", "end": "2026-01-28"}, headers=admin)
    second = api.post("/api/snapshots", json={"period": "week"}, headers=admin)
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    return first.json(), second.json()


def test_create_needs_admin(api, live_server) -> None:
    response = api.post("/api/snapshots", json={"period": "week"}, headers=live_server.auth("read"))
    assert response.status_code == 403


def test_create_list_get(api, live_server, two_snapshots) -> None:
    first, second = two_snapshots
    assert set(second["kpis"]) == set(CATALOGUE)
    assert (first["period_start"], second["period_start"]) == ("2026-01-26", "2026-02-02")
    read = live_server.auth("read")
    listed = api.get("/api/snapshots", headers=read).json()["snapshots"]
    assert [s["id"] for s in listed][:2] == [second["id"], first["id"]]
    assert api.get(f"/api/snapshots/{first['id']}", headers=read).json() == first
    missing = api.get("/api/snapshots/999999", headers=read)
    assert missing.status_code == 404


def test_bad_input_is_422_naming_the_field(api, live_server) -> None:
    admin = live_server.auth("admin")
    response = api.post("/api/snapshots", json={"period": "week", "end": "2026-02-09"}, headers=admin)
    assert response.status_code == 422
    assert "end" in response.text
    response = api.get("/api/snapshots/diff", params={"a": "nope", "b": "latest"}, headers=live_server.auth("read"))
    assert response.status_code == 422 and "a" in {p["name"] for p in response.json()["invalid_params"]}


def test_diff_has_health_and_insights(api, live_server, two_snapshots) -> None:
    first, second = two_snapshots
    report = api.get("/api/snapshots/diff", params={"a": first["id"], "b": second["id"]},
                     headers=live_server.auth("read")).json()
    by_name = {m["name"]: m for m in report["metrics"]}
    orders = by_name["orders"]
    assert orders["a"] == second["kpis"]["orders"]["previous"] == first["kpis"]["orders"]["value"]
    assert orders["test"] == "poisson" and 0 <= orders["p_value"] <= orders["q_value"] <= 1
    assert 0 <= report["health"]["score"] <= 100
    impacts = [i["impact"] for i in report["insights"]]
    assert impacts == sorted(impacts, reverse=True)


def test_explain_sums_to_the_change(api, live_server) -> None:
    response = api.get("/api/explain", params={"metric": "mer", "from": "2026-02-02", "to": "2026-02-08",
                                               "compare_from": "2026-01-26", "compare_to": "2026-02-01",
                                               "by": "campaign"}, headers=live_server.auth("read"))
    assert response.status_code == 200, response.text
    data = response.json()
    assert sum(c["contribution"] for c in data["contributions"]) == pytest.approx(data["change"], abs=1e-5)
    bad = api.get("/api/explain", params={"metric": "ltv_90"}, headers=live_server.auth("read"))
    assert bad.status_code == 422
