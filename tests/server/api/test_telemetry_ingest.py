"""Telemetry ingestion on a real server: every kind stored once committed; the key by Bearer header or (for
beacons) the key query parameter; a bad record refuses the whole batch naming records[i].field; any origin."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.server.api.telemetry import PATHS
from growthos.server.problems import PROBLEM_JSON
from growthos.sources.telemetry import KINDS

SAMPLES = {
    "web_vital": {"name": "INP", "value": 180.0, "route": "/recipes/{id}", "connection_type": "4g"},
    "ai_call": {"model": "gpt-4o-mini", "endpoint": "/generate", "latency_ms": 912.0, "tokens_in": 310,
                "tokens_out": 220, "cost_usd": 0.000179, "cache_hit": False},
    "db_query": {"fingerprint": "SELECT * FROM recipes WHERE id = ?", "duration_ms": 12.5, "rows": 1},
    "resource_sample": {"service": "api", "instance_count": 3, "cpu_percent": 72.5, "memory_percent": 40.0},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("telemetry-server")) as live:
        yield live


def post(server: LiveServer, path: str, body, *, key: str | None = None, bearer: str | None = None,
         content_type: str = "application/json") -> httpx.Response:
    headers = {"Content-Type": content_type, "User-Agent": "telemetry-test/1.0"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    params = {"key": key} if key else None
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{server.url}/api/analytics/{path}", content=content, headers=headers, params=params,
                      timeout=30)


def rows(server: LiveServer, kind: str, where: str, args: list) -> list[dict]:
    return server.warehouse_rows(f"SELECT * FROM {KINDS[kind].table} WHERE {where}", args)


@pytest.mark.parametrize("path", list(PATHS))
def test_each_kind_is_stored_when_acknowledged(server, path) -> None:
    kind = PATHS[path]
    tag = uuid.uuid4().hex[:8]
    record = {**SAMPLES[kind]}
    text_field = next(f.name for f in KINDS[kind].fields if f.required and f.type == "string")
    if text_field != "name":
        record[text_field] = f"{record[text_field]} {tag}"
    response = post(server, path, {"records": [record, record]}, bearer=server.keys["ingest"])
    assert response.status_code == 200, response.text
    assert response.json() == {"stored": 2}
    assert response.headers["access-control-allow-origin"] == "*"
    if text_field != "name":
        got = rows(server, kind, f'"{text_field}" = ?', [record[text_field]])
        assert len(got) == 2 and all(got[0][k] == v for k, v in SAMPLES[kind].items() if k != text_field)


def test_a_beacon_with_the_key_in_the_url_and_text_plain(server) -> None:
    route = f"/beacon-{uuid.uuid4().hex[:8]}"
    body = [{"name": "LCP", "value": 2100, "route": route}, {"name": "CLS", "value": 0.04, "route": route}]
    response = post(server, "performance", body, key=server.keys["ingest"], content_type="text/plain;charset=UTF-8")
    assert response.status_code == 200, response.text
    got = rows(server, "web_vital", "route = ? ORDER BY name", [route])
    assert [(r["name"], r["value"], r["user_agent"]) for r in got] == [
        ("CLS", 0.04, "telemetry-test/1.0"), ("LCP", 2100.0, "telemetry-test/1.0")]


def test_a_bad_record_refuses_the_batch(server) -> None:
    route = f"/bad-{uuid.uuid4().hex[:8]}"
    body = [{"name": "LCP", "value": 2100, "route": route}, {"name": "LCP", "value": -5, "route": route}]
    response = post(server, "performance", body, bearer=server.keys["ingest"])
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["invalid_params"][0]["name"] == "records[1].value"
    assert rows(server, "web_vital", "route = ?", [route]) == []
    bad_json = post(server, "performance", b"{not json", bearer=server.keys["ingest"])
    assert bad_json.status_code == 422 and bad_json.json()["invalid_params"][0]["name"] == "body"


def test_keys(server) -> None:
    body = {"name": "LCP", "value": 1, "route": "/keys"}
    assert post(server, "performance", body).status_code == 401
    assert post(server, "performance", body, key="gos_ingest_wrong").status_code == 401
    assert post(server, "performance", body, bearer="gos_ingest_wrong").status_code == 401
    assert post(server, "performance", body, key=server.keys["read"]).status_code == 403
    assert post(server, "performance", body, bearer=server.keys["read"]).status_code == 403
    assert post(server, "performance", body, bearer=server.keys["admin"]).status_code == 200


def test_preflight_allows_any_origin(server) -> None:
    response = httpx.options(f"{server.url}/api/analytics/ai-performance",
                             headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]


def test_an_oversized_body_is_refused(server) -> None:
    response = post(server, "database-performance", b" " * 1_000_001, bearer=server.keys["ingest"])
    assert response.status_code == 413
