"""Bad query parameters get a 422 problem naming the parameter, never a 500; unknown parameters are ignored."""

from __future__ import annotations

import pytest

from growthos.server.problems import PROBLEM_JSON

# (route, query, the parameter the problem must name)
BAD = [
    ("/api/metrics/summary", {"from": "2026-02-09", "to": "2026-01-11"}, "from"),
    ("/api/metrics/summary", {"from": "2026-13-01", "to": "2026-02-01"}, "from"),
    ("/api/metrics/summary", {"from": "2026-01-01", "to": "tomorrow"}, "to"),
    ("/api/metrics/summary", {"from": "20260101", "to": "20260201"}, "from"),
    ("/api/metrics/summary", {"from": "2026-01-01", "to": "2026-W05-1"}, "to"),
    ("/api/metrics/summary", {"from": "0001-01-01", "to": "2026-02-01"}, "from"),
    ("/api/metrics/summary", {"from": "2026-01-01"}, "to"),
    ("/api/metrics/summary", {"to": "2026-01-01"}, "from"),
    ("/api/metrics/summary", {"from": "", "to": ""}, "from"),
    ("/api/metrics/summary", {"from": "x" * 5000, "to": "2026-02-01"}, "from"),
    ("/api/metrics/summary", {"metrics": "net_revenue,bogus"}, "metrics"),
    ("/api/metrics/summary", {"range": "30d", "from": "2026-01-01", "to": "2026-01-30"}, "range"),
    ("/api/metrics/summary", {"range": "5d"}, "range"),
    ("/api/metrics/summary", {"range": ""}, "range"),
    ("/api/metrics/timeseries", {}, "metrics"),
    ("/api/metrics/timeseries", {"metrics": ""}, "metrics"),
    ("/api/metrics/timeseries", {"metrics": " , "}, "metrics"),
    ("/api/metrics/timeseries", {"metrics": "bogus"}, "metrics"),
    ("/api/metrics/timeseries", {"metrics": "orders", "interval": "month"}, "interval"),
    ("/api/metrics/timeseries", {"metrics": "orders", "range": "5d"}, "range"),
    ("/api/metrics/channels", {"from": "2026-02-30", "to": "2026-03-01"}, "from"),
    ("/api/metrics/campaigns", {"range": "7d", "to": "2026-01-01"}, "range"),
    ("/api/metrics/funnel", {"range": "5d"}, "range"),
    ("/api/metrics/unit-economics", {"from": "2026-02-09", "to": "2026-01-11"}, "from"),
    ("/api/metrics/cohorts", {"range": "5d"}, "range"),
    ("/api/metrics/cohorts", {"from": "2026-01-01"}, "to"),
    ("/api/jobs", {"limit": "-1"}, "limit"),
    ("/api/jobs", {"limit": "0"}, "limit"),
    ("/api/jobs", {"limit": "many"}, "limit"),
    ("/api/jobs", {"limit": "100000"}, "limit"),
    ("/api/jobs", {"offset": "-1"}, "offset"),
    ("/api/jobs", {"offset": str(2**70)}, "offset"),
    ("/api/jobs", {"status": "bogus"}, "status"),
    ("/api/jobs", {"kind": "k" * 65}, "kind"),
    ("/api/jobs/abc", {}, "job_id"),
    ("/api/jobs/0", {}, "job_id"),
    ("/api/jobs/" + "9" * 30, {}, "job_id"),
]


@pytest.mark.parametrize(("route", "query", "param"), BAD, ids=[f"{r} {q}"[:80] for r, q, _ in BAD])
def test_bad_parameter_is_a_problem_naming_it(api, live_server, route, query, param):
    response = api.get(route, params=query, headers=live_server.auth("read"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 422
    assert body["title"] == "Invalid input"
    assert body["type"] == "/problems/invalid-input"
    assert body["detail"]
    assert param in [p["name"] for p in body["invalid_params"]], body
    assert all(p["reason"] for p in body["invalid_params"])


def test_unknown_job_is_404_problem(api, live_server):
    response = api.get("/api/jobs/987654321", headers=live_server.auth("read"))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body == {"type": "/problems/not-found", "title": "Not found", "status": 404,
                    "detail": "job 987654321 does not exist", "instance": "/api/jobs/987654321",
                    "invalid_params": [{"name": "job_id", "reason": "job 987654321 does not exist"}]}


def test_unknown_route_is_404_problem(api, live_server):
    response = api.get("/api/nothing-here", headers=live_server.auth("read"))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON


def test_unknown_query_parameters_are_ignored(api, live_server):
    plain = api.get("/api/metrics/summary", params={"metrics": "orders"}, headers=live_server.auth("read"))
    extra = api.get("/api/metrics/summary", params={"metrics": "orders", "colour": "blue", "by": "x"},
                    headers=live_server.auth("read"))
    assert plain.status_code == extra.status_code == 200
    assert plain.json() == extra.json()


def test_empty_job_filters_mean_no_filter(api, live_server):
    read = live_server.auth("read")
    assert (api.get("/api/jobs", params={"kind": "", "status": ""}, headers=read).json()
            == api.get("/api/jobs", headers=read).json())


def test_wrong_method_is_405_problem(api, live_server):
    response = api.post("/api/metrics/summary", headers=live_server.auth("admin"))
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON
