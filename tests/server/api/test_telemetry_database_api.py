"""GET /api/analytics/database-performance on a real server: zeros and nulls before any query, then the numbers
of records POSTed through the ingest route (worked out by hand), the slowest fingerprints, the daily trend
for 7d, and the range, top and key checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.server.problems import PROBLEM_JSON

URL = "/api/analytics/database-performance"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("db-api-server")) as live:
        yield live


def get(server: LiveServer, scope: str | None = "read", **params) -> httpx.Response:
    headers = server.auth(scope) if scope else {}
    return httpx.get(f"{server.url}{URL}", params=params, headers=headers, timeout=30)


def test_zeros_then_the_posted_queries(server) -> None:
    empty = get(server)
    assert empty.status_code == 200, empty.text
    body = empty.json()
    assert (body["range"], body["bucket"], body["slow_ms"]) == ("24h", "hour", 1000.0)
    assert len(body["series"]) in (24, 25)  # every UTC hour meeting the window
    overall = body["overall"]
    assert (overall["queries"], overall["p95_ms"], overall["slow_query_rate"], overall["cache_hit_rate"]) == (
        0, None, None, None)
    assert body["fingerprints"] == []

    now = datetime.now(UTC)
    ago = lambda minutes: (now - timedelta(minutes=minutes)).isoformat()  # noqa: E731
    find = "SELECT * FROM recipes WHERE id = ?"
    save = "UPDATE recipes SET title = ? WHERE id = ?"
    records = [
        {"fingerprint": find, "duration_ms": 10, "rows": 1, "timestamp": ago(50)},
        {"fingerprint": find, "duration_ms": 30, "rows": 1, "timestamp": ago(40)},
        {"fingerprint": find, "duration_ms": 0.2, "rows": 1, "cached": True, "timestamp": ago(30)},
        {"fingerprint": save, "duration_ms": 2000, "slow": True, "timestamp": ago(20)},
        {"fingerprint": save, "duration_ms": 5, "error_type": "UniqueViolation", "timestamp": ago(10)},
        {"fingerprint": find, "duration_ms": 70, "timestamp": ago(60 * 30)},  # 30 hours ago: only in 7d
    ]
    posted = httpx.post(f"{server.url}{URL}", json={"records": records}, headers=server.auth("ingest"), timeout=30)
    assert posted.json() == {"stored": 6}

    body = get(server, range="24h").json()
    overall = body["overall"]
    assert (overall["queries"], overall["executed"], overall["cache_hits"], overall["errors"], overall["slow"]) == (
        5, 4, 1, 1, 1)
    assert (overall["cache_hit_rate"], overall["slow_query_rate"], overall["error_rate"]) == (0.2, 0.2, 0.2)
    # executed durations 5 10 30 2000: p50 = 20 (h = 1.5), p95 = 30 + 0.85 × 1970 = 1704.5 (h = 2.85)
    assert (overall["p50_ms"], overall["p95_ms"], overall["max_ms"]) == (20, pytest.approx(1704.5), 2000)
    assert overall["total_ms"] == 2045
    fingerprints = body["fingerprints"]
    assert [(f["fingerprint"], f["calls"], f["total_ms"]) for f in fingerprints] == [(save, 2, 2005), (find, 3, 40)]
    assert fingerprints[0]["share_of_time"] == pytest.approx(2005 / 2045)
    assert (fingerprints[1]["cache_hits"], fingerprints[1]["p95_ms"]) == (1, pytest.approx(29))  # 10 + 0.95 × 20
    assert sum(p["queries"] for p in body["series"]) == 5

    week = get(server, range="7d", top=1).json()
    assert (week["bucket"], week["overall"]["queries"], len(week["fingerprints"])) == ("day", 6, 1)
    assert len(week["series"]) in (7, 8) and sum(p["queries"] for p in week["series"]) == 6


def test_range_top_and_keys_are_checked(server) -> None:
    bad = get(server, range="1y")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM_JSON)
    assert [p["name"] for p in bad.json()["invalid_params"]] == ["range"]
    assert get(server, top=0).status_code == 422
    assert get(server, scope=None).status_code == 401
    assert get(server, scope="ingest").status_code == 403
    assert get(server, scope="admin", range="30d").json()["bucket"] == "day"
