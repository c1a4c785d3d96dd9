"""GET /api/analytics/ai-performance on a real server: zeros and nulls before any call, then the numbers of records
POSTed through the ingest route (worked out by hand), the daily trend for 7d, and the range and key checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.server.problems import PROBLEM_JSON

URL = "/api/analytics/ai-performance"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("ai-api-server")) as live:
        yield live


def get(server: LiveServer, scope: str | None = "read", **params) -> httpx.Response:
    headers = server.auth(scope) if scope else {}
    return httpx.get(f"{server.url}{URL}", params=params, headers=headers, timeout=30)


def test_zeros_then_the_posted_calls(server) -> None:
    empty = get(server)
    assert empty.status_code == 200, empty.text
    body = empty.json()
    assert (body["range"], body["bucket"]) == ("24h", "hour")
    assert len(body["series"]) in (24, 25)  # every UTC hour meeting the window: 25 unless now is on the hour
    overall = body["overall"]
    assert (overall["calls"], overall["cost_usd"], overall["latency_p95_ms"], overall["error_rate"]) == (
        0, 0, None, None)
    assert (body["models"], body["endpoints"], body["error_types"]) == ([], [], [])

    now = datetime.now(UTC)
    ago = lambda minutes: (now - timedelta(minutes=minutes)).isoformat()  # noqa: E731
    records = [
        {"model": "gpt-4o-mini", "endpoint": "search", "latency_ms": 100, "tokens_in": 10, "tokens_out": 5,
         "cost_usd": 0.5, "timestamp": ago(30)},
        {"model": "gpt-4o-mini", "endpoint": "search", "latency_ms": 300, "tokens_in": 30, "tokens_out": 15,
         "cost_usd": 1.5, "timestamp": ago(20)},
        {"model": "gpt-4o-mini", "endpoint": "search", "latency_ms": 1, "cache_hit": True, "cost_usd": 0,
         "timestamp": ago(10)},
        {"model": "gpt-4o", "endpoint": "chat", "latency_ms": 900, "status": "error", "error_type": "Timeout",
         "timestamp": ago(5)},
        {"model": "gpt-4o", "latency_ms": 50, "timestamp": ago(60 * 30)},  # 30 hours ago: only in 7d
    ]
    posted = httpx.post(f"{server.url}{URL}", json={"records": records}, headers=server.auth("ingest"), timeout=30)
    assert posted.json() == {"stored": 5}

    body = get(server, range="24h").json()
    overall = body["overall"]
    assert (overall["calls"], overall["model_calls"], overall["cache_hits"], overall["errors"]) == (4, 2, 1, 1)
    assert (overall["cache_hit_rate"], overall["error_rate"]) == (0.25, 0.25)
    # model calls 100 and 300: p50 = 200, p95 = 100 + 0.95 x 200 = 290
    assert (overall["latency_p50_ms"], overall["latency_p95_ms"]) == (200, pytest.approx(290))
    assert (overall["tokens_in"], overall["tokens_out"], overall["tokens_per_call"]) == (40, 20, 30)
    assert (overall["cost_usd"], overall["unpriced_calls"]) == (2.0, 0)
    assert [(m["name"], m["calls"]) for m in body["models"]] == [("gpt-4o-mini", 3), ("gpt-4o", 1)]
    assert [(e["name"], e["calls"]) for e in body["endpoints"]] == [("search", 3), ("chat", 1)]
    assert body["error_types"] == [{"error_type": "Timeout", "calls": 1}]
    assert sum(p["calls"] for p in body["series"]) == 4

    week = get(server, range="7d").json()
    assert (week["bucket"], week["overall"]["calls"], week["overall"]["unpriced_calls"]) == ("day", 5, 1)
    assert [e["name"] for e in week["endpoints"]] == ["search", "(not set)", "chat"]  # ties by name
    assert len(week["series"]) in (7, 8) and sum(p["calls"] for p in week["series"]) == 5


def test_range_and_keys_are_checked(server) -> None:
    bad = get(server, range="1y")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM_JSON)
    assert [p["name"] for p in bad.json()["invalid_params"]] == ["range"]
    assert get(server, scope=None).status_code == 401
    assert get(server, scope="ingest").status_code == 403
    assert get(server, scope="admin", range="30d").json()["bucket"] == "day"
