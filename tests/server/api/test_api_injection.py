"""Hostile input on the demo server: SQL fragments in event names, properties, breakdowns, filters and path
parameters; path traversal; oversized, chunked and deeply nested bodies; invalid UTF-8; dates out of range.
Each gets a clear 4xx problem (or, for a fragment that is just an unknown name, an empty answer), and nothing
is stored: the events table and the marts keep their row counts, and the server still answers."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from support.server import LiveServer

from growthos.server.body_limit import DEFAULT_LIMIT_BYTES
from growthos.server.problems import PROBLEM_JSON

FRAGMENTS = ["x' OR '1'='1", "'; DROP TABLE events; --", '" OR 1=1 --', "page_viewed' --", "%", "_", "*",
             "$.x", "\\'; SELECT 1; --"]


@pytest.fixture(scope="module")
def read(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, headers=live_server.auth("read"), timeout=60) as client:
        yield client


@pytest.fixture
def unchanged(live_server: LiveServer) -> Iterator[None]:
    """The test stores nothing: events, people and the marts keep their row counts."""
    def counts() -> dict[str, int]:
        return {t: live_server.warehouse_rows(f"SELECT count(*) AS n FROM {t}")[0]["n"]
                for t in ("events", "identity_map", "fact_orders", "dim_customer")}

    before = counts()
    yield
    assert counts() == before


def problem(response: httpx.Response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    if field is not None:
        assert field in {p["name"] for p in body.get("invalid_params", [])}, body
    return body


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_sql_in_event_names_is_just_an_unknown_event(read, unchanged, fragment):
    trends = read.get("/api/product/trends", params={"events": fragment, "range": "30d"})
    assert trends.status_code == 200, trends.text
    (series,) = trends.json()["series"]
    assert series["event"] == fragment and all(p["events"] == p["people"] == 0 for p in series["points"])
    funnel = read.post("/api/product/funnel", json={"steps": [{"event": "Signed Up"}, {"event": fragment}],
                                                    "range": "30d"})
    assert funnel.status_code == 200, funnel.text
    assert funnel.json()["total"]["converted"] == 0
    assert funnel.json()["total"]["entered"] > 0  # the real first step still counts: the query ran as written
    retention = read.get("/api/product/retention", params={"start_event": fragment, "return_event": "Signed Up",
                                                           "range": "30d"})
    assert retention.status_code == 200 and retention.json()["cohorts"] == []


@pytest.mark.parametrize("fragment", ["a') OR 1=1 --", "x;drop", "properties->>'x'", "a b", "", "x" * 65])
def test_sql_in_property_names_is_refused_naming_the_field(read, unchanged, fragment):
    problem(read.get("/api/product/trends", params={"events": "Signed Up", "breakdown": fragment}), 422,
            "breakdown")
    body = {"steps": [{"event": "Signed Up", "where": {fragment: "1"}}, {"event": "Recipe Generated"}], "range": "30d"}
    problem(read.post("/api/product/funnel", json=body), 422)


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_sql_in_property_values_and_lookups_matches_nothing(read, unchanged, fragment):
    body = {"steps": [{"event": "Signed Up", "where": {"method": fragment}}, {"event": "Recipe Generated"}],
            "range": "30d"}
    funnel = read.post("/api/product/funnel", json=body)
    assert funnel.status_code == 200 and funnel.json()["total"]["entered"] == 0, funnel.text
    users = read.get("/api/product/users", params={"q": fragment})
    assert users.status_code == 200 and users.json()["users"] == []
    problem(read.get(f"/api/product/users/{fragment}"), 404)
    problem(read.get(f"/api/loops/{fragment}"), 404)


def test_the_same_routes_do_find_real_values(read, live_server):
    """The answers above are empty because of the fragments, not because the routes find nothing."""
    (row,) = live_server.warehouse_rows("SELECT min(id) AS id FROM identity_map")
    assert read.get("/api/product/users", params={"q": row["id"][:4]}).json()["users"]
    assert read.get(f"/api/product/users/{row['id']}").status_code == 200
    (method,) = live_server.warehouse_rows(
        "SELECT min(properties ->> '$.method') AS m FROM events WHERE event = 'Signed Up'")
    body = {"steps": [{"event": "Signed Up", "where": {"method": method["m"]}}, {"event": "Recipe Generated"}],
            "range": "30d"}
    assert read.post("/api/product/funnel", json=body).json()["total"]["entered"] > 0


@pytest.mark.parametrize("path", ["/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                                  "/static/..%2f..%2f..%2f..%2fetc%2fpasswd", "/static/vendor/../../../pyproject.toml",
                                  "/sdk/..%2f..%2fconfig.py", "/api/loops/..%2f..%2f..%2fetc%2fpasswd"])
def test_path_traversal_reaches_no_file(read, path):
    response = read.get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert "root:" not in response.text and "[project]" not in response.text


def test_oversized_bodies_are_refused_before_they_are_read(live_server, unchanged):
    admin = live_server.auth("admin") | {"Content-Type": "application/json"}
    big = b'{"name": "' + b"a" * (DEFAULT_LIMIT_BYTES + 1) + b'"}'
    problem(httpx.post(f"{live_server.url}/api/alerts/rules", content=big, headers=admin, timeout=60), 413, "body")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"name": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'"}'

    problem(httpx.post(f"{live_server.url}/api/loops", content=chunks(), headers=admin, timeout=60), 413, "body")
    ingest = live_server.auth("ingest") | {"Content-Type": "application/json"}
    event = b'{"event": "e", "user_id": "hostile-big", "properties": {"p": "' + b"x" * 40_000 + b'"}}'
    problem(httpx.post(f"{live_server.url}/api/analytics/events", content=event, headers=ingest, timeout=60), 413)


def test_a_small_chunked_body_still_goes_through(live_server):
    def chunks() -> Iterator[bytes]:
        yield b'{"steps": [{"event": "Signed Up"},'
        yield b' {"event": "Recipe Generated"}], "range": "30d"}'

    response = httpx.post(f"{live_server.url}/api/product/funnel", content=chunks(), timeout=60,
                          headers=live_server.auth("read") | {"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["total"]["entered"] > 0


@pytest.mark.parametrize("depth", [2_000, 200_000])
def test_deeply_nested_json_is_refused(live_server, unchanged, depth):
    nested = b"[" * depth + b"]" * depth
    admin = live_server.auth("admin") | {"Content-Type": "application/json"}
    for path in ("/api/alerts/rules", "/api/loops"):
        response = httpx.post(f"{live_server.url}{path}", content=nested, headers=admin, timeout=60)
        assert response.status_code in (400, 422), response.text[:200]
        problem(response, response.status_code, "body")
    ingest = live_server.auth("ingest") | {"Content-Type": "application/json"}
    deep_event = b'{"event": "e", "user_id": "hostile-deep", "properties": {"p": ' + b"[" * 5_000 + b"]" * 5_000 \
        + b"}}"
    for path, body in (("/api/analytics/events", deep_event), ("/api/analytics/performance", nested)):
        response = httpx.post(f"{live_server.url}{path}", content=body, headers=ingest, timeout=60)
        assert response.status_code in (400, 413, 422), (path, response.text[:200])
        problem(response, response.status_code)
    # OTLP/HTTP answers a bad request with a google.rpc.Status body, as its exporters expect.
    otlp = httpx.post(f"{live_server.url}/v1/traces", content=b'{"resourceSpans": ' + nested + b"}",
                      headers=ingest, timeout=60)
    assert otlp.status_code == 400 and "nested too deeply" in otlp.json()["message"]


def test_invalid_utf8_is_refused(live_server, unchanged):
    bad = b'{"event": "\xff\xfe", "user_id": "hostile-utf8", "userId": "hostile-utf8", "name": "\xc3"}'
    json_type = {"Content-Type": "application/json"}
    basic = {"Authorization": "Basic " + base64.b64encode(f"{live_server.keys['ingest']}:".encode()).decode()}
    for path, headers in (("/api/analytics/events", live_server.auth("ingest")), ("/v1/track", basic),
                          ("/api/alerts/rules", live_server.auth("admin")),
                          ("/api/product/funnel", live_server.auth("read"))):
        response = httpx.post(f"{live_server.url}{path}", content=bad, headers=headers | json_type, timeout=60)
        assert response.status_code in (400, 422), (path, response.text[:200])
        problem(response, response.status_code)


@pytest.mark.parametrize(("start", "end", "field"), [
    ("0001-01-01", "2026-01-31", "from"), ("2026-01-01", "9999-12-31", "to"), ("1969-12-31", "1970-01-02", "from"),
    ("10000-01-01", "10000-01-02", "from"), ("2026-02-30", "2026-03-01", "from"), ("2026-03-01", "2026-02-01", None),
])
def test_dates_out_of_range_are_refused_naming_the_field(read, start, end, field):
    for path in ("/api/metrics/summary", "/api/product/trends?events=page_viewed", "/api/attribution",
                 "/api/aarrr/funnel"):
        problem(read.get(path, params={"from": start, "to": end}), 422, field)


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                                   "99999-01-01T00:00:00Z", "2026-13-01T00:00:00Z"])
def test_event_times_out_of_range_are_refused_and_not_stored(live_server, unchanged, stamp):
    ingest = live_server.auth("ingest")
    app_event = {"event": "hostile_time", "user_id": "hostile-time", "timestamp": stamp}
    problem(httpx.post(f"{live_server.url}/api/analytics/events", json=app_event, headers=ingest, timeout=60), 422,
            "timestamp")
    basic = (live_server.keys["ingest"], "")
    batch = {"batch": [{"type": "track", "event": "hostile_time", "userId": "hostile-time"},
                       {"type": "track", "event": "hostile_time", "userId": "hostile-time", "timestamp": stamp}]}
    problem(httpx.post(f"{live_server.url}/v1/batch", json=batch, auth=basic, timeout=60), 400, "batch[1].timestamp")
