"""/api/alerts on a real server (uvicorn on 127.0.0.1): reads need a key and writes an admin key; the lifecycle
of an alert planted by a failed build (evaluate → webhook delivered → ack → still firing → resolve); rules CRUD
over the defaults; alerts.yaml errors as problem details; evaluation after a server build; and the demo
evaluated with every commerce rule."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.alerts.performance import PERFORMANCE_RULES as PACK
from growthos.store import AppStore

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "alerts"))
from alert_servers import http_capture  # noqa: E402

PERFORMANCE_RULES = {r["name"] for r in PACK}
COMMERCE_RULES = {"net_revenue_drop", "mer_drop", "ncac_spike", "conversion_rate_drop", "spend_pacing",
                  "refund_rate_spike", "data_freshness"}


@pytest.fixture(scope="module")
def hook() -> Iterator[tuple[str, object]]:
    with http_capture() as captured:
        yield captured


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, hook) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("alerts-api")
    base, _ = hook
    (data_dir / "alerts.yaml").write_text(f'channels:\n  - {{name: ops, kind: webhook, url: "{base}/ops"}}\n')
    with empty_server(data_dir) as live:
        yield live


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.auth("admin"), timeout=30) as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def plant_failed_build(server: LiveServer, error: str = "Parser Error: syntax error at or near FROM") -> int:
    with AppStore.from_settings(server.settings) as store:
        job_id = store.start_job("build")
        store.finish_job(job_id, "failed", error=error)
    return job_id


@pytest.mark.parametrize(("method", "path", "read_ok"), [
    ("GET", "/api/alerts", True), ("GET", "/api/alerts/rules", True), ("GET", "/api/alerts/1", True),
    ("POST", "/api/alerts/1/ack", False), ("POST", "/api/alerts/1/resolve", False),
    ("POST", "/api/alerts/rules", False), ("PUT", "/api/alerts/rules/x", False),
    ("DELETE", "/api/alerts/rules/x", False), ("POST", "/api/alerts/evaluate", False),
])
def test_access(server: LiveServer, method: str, path: str, read_ok: bool) -> None:
    assert httpx.request(method, server.url + path).status_code == 401
    status = httpx.request(method, server.url + path, headers=server.auth("read"), json={}).status_code
    assert (status != 403) if read_ok else status == 403


def test_alert_lifecycle_through_the_api(server: LiveServer, admin: httpx.Client, hook) -> None:
    _, captured = hook
    job_id = plant_failed_build(server)
    report = admin.post("/api/alerts/evaluate")
    assert report.status_code == 200, report.text
    body = report.json()
    outcomes = {r["rule"]: r["status"] for r in body["rules"]}
    assert set(outcomes) == COMMERCE_RULES | PERFORMANCE_RULES
    assert outcomes["data_freshness"] == "new"
    assert {s for r, s in outcomes.items() if r != "data_freshness"} == {"skipped"}  # nothing built, no telemetry
    [alert] = body["new"]
    assert alert["severity"] == "critical" and alert["status"] == "open"
    assert f"job {job_id}" in alert["message"] and "Parser Error" in alert["message"]
    assert alert["recommendation"]
    assert [(n["channel"], n["status"]) for n in body["notifications"]] == [("ops", "delivered")]
    assert [p["json"]["alert"]["id"] for p in captured.posts] == [alert["id"]]

    listed = admin.get("/api/alerts", params={"status": "open"}).json()
    assert [a["id"] for a in listed["alerts"]] == [alert["id"]] and listed["counts"]["open"] == 1
    one = admin.get(f"/api/alerts/{alert['id']}").json()
    assert one["notifications"][0]["status"] == "delivered"

    acked = admin.post(f"/api/alerts/{alert['id']}/ack").json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_at"]
    again = admin.post("/api/alerts/evaluate").json()
    assert {r["rule"]: r["status"] for r in again["rules"]}["data_freshness"] == "updated"
    assert again["new"] == [] and len(captured.posts) == 1  # still firing: not notified again

    resolved = admin.post(f"/api/alerts/{alert['id']}/resolve").json()
    assert resolved["status"] == "resolved" and resolved["resolved_by"] == "user"
    assert problem(admin.post(f"/api/alerts/{alert['id']}/ack"), 409)["title"] == "Conflict"
    assert problem(admin.post("/api/alerts/999999/resolve"), 404)["invalid_params"][0]["name"] == "alert_id"
    history = admin.get("/api/alerts", params={"rule": "data_freshness"}).json()["alerts"]
    assert [a["status"] for a in history] == ["resolved"]
    problem(admin.get("/api/alerts", params={"status": "closed"}), 422)


def test_rules_crud(admin: httpx.Client) -> None:
    listed = admin.get("/api/alerts/rules").json()
    assert {r["name"] for r in listed["rules"]} >= COMMERCE_RULES
    assert {k["name"] for k in listed["kinds"]} >= COMMERCE_RULES | {"metric_drop", "metric_spike"}

    created = admin.post("/api/alerts/rules", json={"name": "ctr_drop", "kind": "metric_drop", "metric": "ctr",
                                                    "params": {"threshold": 0.3}, "cooldown": "6h"})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/alerts/rules/ctr_drop"
    assert created.json()["cooldown_s"] == 6 * 3600 and created.json()["source"] == "api"
    assert problem(admin.post("/api/alerts/rules", json={"name": "ctr_drop", "kind": "metric_drop",
                                                         "metric": "ctr"}), 409)
    assert problem(admin.post("/api/alerts/rules", json={"name": "mer_drop", "kind": "mer_drop"}), 409)
    bad = problem(admin.post("/api/alerts/rules", json={"name": "x", "kind": "mer_drop",
                                                        "params": {"threshold": "big"}}), 422)
    assert bad["invalid_params"][0]["name"] == "params.threshold"
    assert problem(admin.post("/api/alerts/rules", json={"name": "x", "kind": "mer_drop", "colour": 1}), 422)

    changed = admin.put("/api/alerts/rules/mer_drop", json={"kind": "mer_drop", "severity": "critical",
                                                            "params": {"threshold": 0.4}})
    assert changed.status_code == 200, changed.text
    rules = {r["name"]: r for r in admin.get("/api/alerts/rules").json()["rules"]}
    assert rules["mer_drop"]["source"] == "api" and rules["mer_drop"]["params"]["threshold"] == 0.4
    assert rules["ctr_drop"]["metric"] == "ctr"
    assert problem(admin.put("/api/alerts/rules/nope", json={"kind": "mer_drop"}), 404)
    assert problem(admin.put("/api/alerts/rules/mer_drop", json={"name": "other", "kind": "mer_drop"}), 422)

    assert admin.delete("/api/alerts/rules/mer_drop").status_code == 204  # back to the default
    rules = {r["name"]: r for r in admin.get("/api/alerts/rules").json()["rules"]}
    assert rules["mer_drop"]["source"] == "default" and rules["mer_drop"]["params"]["threshold"] == 0.2
    assert problem(admin.delete("/api/alerts/rules/mer_drop"), 409)
    assert problem(admin.delete("/api/alerts/rules/nope"), 404)
    assert admin.delete("/api/alerts/rules/ctr_drop").status_code == 204


def test_alerts_yaml_errors_are_problem_details(server: LiveServer, admin: httpx.Client) -> None:
    path = server.settings.data_dir / "alerts.yaml"
    good = path.read_text()
    try:
        path.write_text("rules:\n  - name: a\n    kind: mer_drop\n    severity: fatal\n")
        body = problem(admin.get("/api/alerts/rules"), 422)
        assert body["invalid_params"][0]["name"] == "rules[0].severity" and "line 4" in body["detail"]
    finally:
        path.write_text(good)


def test_a_server_build_evaluates_the_alerts(tmp_path: Path) -> None:
    # An empty workspace: the build finds no data, so the freshness check fails and data_freshness fires.
    with empty_server(tmp_path / "data") as live, httpx.Client(base_url=live.url, timeout=30) as client:
        assert client.post("/api/builds", headers=live.auth("admin")).status_code == 202
        deadline = time.monotonic() + 60
        while True:
            alerts = client.get("/api/alerts", headers=live.auth("read")).json()["alerts"]
            if alerts:
                break
            assert time.monotonic() < deadline, "no alert after the build"
            time.sleep(0.2)
        assert [a["rule"] for a in alerts] == ["data_freshness"]


def test_the_demo_is_evaluated_by_every_default_rule(live_server: LiveServer) -> None:
    response = httpx.post(live_server.url + "/api/alerts/evaluate", headers=live_server.auth("admin"), timeout=60)
    assert response.status_code == 200, response.text
    outcomes = {r["rule"]: r for r in response.json()["rules"]}
    assert set(outcomes) >= COMMERCE_RULES | PERFORMANCE_RULES  # the demo has orders, events and telemetry
    for name in COMMERCE_RULES | PERFORMANCE_RULES:
        outcome = outcomes[name]
        assert outcome["status"] in ("new", "updated", "ok", "suppressed", "resolved"), (name, outcome)
        if name != "data_freshness":
            assert outcome["evaluation"]["baseline"] is not None


ALERT_ROUTES = {
    ("get", "/api/alerts"), ("get", "/api/alerts/{alert_id}"), ("post", "/api/alerts/{alert_id}/ack"),
    ("post", "/api/alerts/{alert_id}/resolve"), ("get", "/api/alerts/rules"), ("post", "/api/alerts/rules"),
    ("put", "/api/alerts/rules/{name}"), ("delete", "/api/alerts/rules/{name}"), ("post", "/api/alerts/evaluate"),
}


def test_routes_are_documented(server: LiveServer) -> None:
    openapi = httpx.get(server.url + "/api/openapi.json").json()
    for method, path in ALERT_ROUTES:
        operation = openapi["paths"][path][method]
        assert operation["summary"].strip(), (method, path)
        assert {"401", "403"} <= set(operation["responses"]), (method, path)
