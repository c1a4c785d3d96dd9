"""GET /api/analytics/performance on a real server: nulls before any vitals, then the p75s, routes and worse
routes of records POSTed through the ingest route (values worked out by hand); range and key checks; and the
snippet served at /sdk/vitals.js (or a 503 problem while it is not built)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.server import sdk
from growthos.server.problems import PROBLEM_JSON

URL = "/api/analytics/performance"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("vitals-server")) as live:
        yield live


def get(server: LiveServer, scope: str | None = "read", **params) -> httpx.Response:
    headers = server.auth(scope) if scope else {}
    return httpx.get(f"{server.url}{URL}", params=params, headers=headers, timeout=30)


def post(server: LiveServer, records: list[dict]) -> None:
    response = httpx.post(f"{server.url}{URL}", json={"records": records}, headers=server.auth("ingest"), timeout=30)
    assert response.status_code == 200, response.text


def test_nulls_then_the_posted_vitals(server) -> None:
    empty = get(server, range="24h")
    assert empty.status_code == 200, empty.text
    assert [(m["name"], m["samples"], m["p75"], m["rating"]) for m in empty.json()["metrics"]] == [
        (name, 0, None, None) for name in ("LCP", "INP", "CLS", "FCP", "TTFB", "FID")]
    assert empty.json()["routes"] == [] and empty.json()["worsened"] == []

    route = f"/api-{uuid.uuid4().hex[:8]}"
    earlier = (datetime.now(UTC) - timedelta(hours=30)).isoformat()  # in the previous 24 hours
    post(server, [{"name": "LCP", "value": v, "route": route, "connection_type": "4g"}
                  for v in (1000, 2000, 3000, 5000)])
    post(server, [{"name": "TTFB", "value": 300, "route": route, "timestamp": earlier}] * 2
         + [{"name": "TTFB", "value": 900, "route": route}] * 2)

    data = get(server, range="24h", min_samples=2).json()
    assert data["range"] == "24h" and data["bucket"] == "hour"
    metrics = {m["name"]: m for m in data["metrics"]}
    # LCP 1000 2000 3000 5000: h = 0.75 x 3 = 2.25 -> 3000 + 0.25 x 2000 = 3500, needs-improvement
    assert (metrics["LCP"]["p75"], metrics["LCP"]["rating"], metrics["LCP"]["samples"]) == (
        3500.0, "needs-improvement", 4)
    assert (metrics["LCP"]["share_good"], metrics["LCP"]["share_poor"]) == (0.5, 0.25)
    assert (metrics["TTFB"]["p75"], metrics["TTFB"]["samples"]) == (900.0, 2)  # the earlier two are outside
    assert data["routes"] == [{"route": route, "samples": 4, "metrics": {
        "LCP": {"p75": 3500.0, "rating": "needs-improvement", "samples": 4},
        "TTFB": {"p75": 900.0, "rating": "needs-improvement", "samples": 2}}}]
    assert [(w["route"], w["name"], w["p75_before"], w["p75_after"], w["reason"]) for w in data["worsened"]] == [
        (route, "TTFB", 300.0, 900.0, "rating")]
    lcp_trend = next(s for s in data["trend"] if s["name"] == "LCP")
    assert sum(p["samples"] for p in lcp_trend["points"]) == 4

    week = get(server, range="7d", min_samples=2).json()
    assert week["bucket"] == "day"
    assert {m["name"]: m["samples"] for m in week["metrics"]}["TTFB"] == 4
    assert get(server, range="24h").json()["routes"] == []  # default min_samples 5: not enough yet


def test_bad_range_and_keys(server) -> None:
    bad = get(server, range="1y")
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM_JSON
    assert bad.json()["invalid_params"][0]["name"] == "range"
    assert get(server, range="24h", min_samples=0).status_code == 422
    assert get(server, scope=None, range="24h").status_code == 401
    assert get(server, scope="ingest", range="24h").status_code == 403


def test_the_snippet_is_served(server) -> None:
    response = httpx.get(f"{server.url}/sdk/vitals.js", timeout=30)
    assert response.status_code == 200, "the snippet is built by `make assets`"
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["access-control-allow-origin"] == "*"
    assert "max-age=3600" in response.headers["cache-control"]
    assert "web-vitals" in response.text[:300] and "growthosVitals" in response.text


def test_a_snippet_not_built_is_a_503_problem(server, monkeypatch) -> None:
    monkeypatch.setattr(sdk, "VITALS_ASSET", "vendor/not-built.js")
    response = httpx.get(f"{server.url}/sdk/vitals.js", timeout=30)
    assert response.status_code == 503 and response.headers["content-type"] == PROBLEM_JSON
    assert "make assets" in response.json()["detail"]
