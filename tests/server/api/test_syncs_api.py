"""POST /api/syncs on a real server (uvicorn on 127.0.0.1, fresh data directory): admin only; the sync runs on
the server's warehouse writer thread, each connection as a job run that GET /api/jobs shows with its rows and
stats; a connection already queued is a 409; unknown names are 404 and bad bodies 422 (problem details); a
failure is a failed job whose error has the secret masked; and a real Shopify sync (the fake GraphQL Admin API)
lands its records in the served warehouse."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from fakes.shopify import FakeShopify, fixture_products, fixture_shop
from support.server import LiveServer, empty_server
from support.sync_connectors import KIND, REQUESTS_PER_ENTITY, TOKEN, WAITED_PER_ENTITY, SyncingConnector
from support.sync_connectors import registered_syncing as registered

SHOPIFY_TOKEN = "shpat_api_sync_token_4321"
DEADLINE_S = 60


@pytest.fixture(scope="module")
def connector() -> Iterator[SyncingConnector]:
    with registered() as fake:
        yield fake


@pytest.fixture(scope="module")
def shopify() -> Iterator[FakeShopify]:
    orders, customers = fixture_shop(orders=30, customers=20)
    service = FakeShopify(orders, customers, fixture_products(8), token=SHOPIFY_TOKEN, maximum=100_000,
                          restore_rate=10_000)
    with service.serve():
        yield service


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, connector: SyncingConnector) -> Iterator[LiveServer]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GROWTHOS_ENCRYPTION_KEY", raising=False)
        with empty_server(tmp_path_factory.mktemp("syncs-api")) as live:
            yield live


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.auth("admin"), timeout=30) as client:
        yield client


@pytest.fixture(autouse=True)
def _fresh_connector(connector: SyncingConnector) -> Iterator[None]:
    yield
    if connector.gate is not None:
        connector.gate.set()
    connector.gate, connector.fail = None, {}
    connector.calls.clear()
    connector.started.clear()


def add(admin: httpx.Client, name: str, kind: str = KIND, values: dict | None = None,
        api_base_url: str | None = None) -> None:
    body = {"name": name, "kind": kind, "values": values or {"account": "acme", "token": TOKEN}}
    if api_base_url:
        body["api_base_url"] = api_base_url
    created = admin.post("/api/connections", json=body)
    assert created.status_code == 201, created.text


def finished(admin: httpx.Client, job_id: int) -> dict:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        job = admin.get(f"/api/jobs/{job_id}").json()
        if job["status"] != "running":
            return job
        assert time.monotonic() < deadline, f"job {job_id} did not finish in time"
        time.sleep(0.05)


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def test_admin_only(server: LiveServer) -> None:
    assert httpx.post(server.url + "/api/syncs", json={}).status_code == 401
    assert httpx.post(server.url + "/api/syncs", json={}, headers=server.auth("read")).status_code == 403
    assert httpx.post(server.url + "/api/syncs", json={}, headers=server.auth("ingest")).status_code == 403


def test_the_route_is_documented(admin: httpx.Client) -> None:
    operation = admin.get("/api/openapi.json").json()["paths"]["/api/syncs"]["post"]
    assert operation["summary"].startswith("Queue the sync")
    assert {"202", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    assert "application/problem+json" in operation["responses"]["409"]["content"]


def test_the_sync_runs_on_the_servers_writer_and_its_job_shows_rows_and_stats(
        server: LiveServer, admin: httpx.Client, connector: SyncingConnector) -> None:
    add(admin, "acme")
    started = admin.post("/api/syncs", json={"connection": "acme"})
    assert started.status_code == 202, started.text
    body = started.json()
    [job_id] = body["job_ids"]
    assert body == {"status": "queued", "job_ids": [job_id], "jobs": [{"job_id": job_id, "connection": "acme"}]}

    job = finished(admin, job_id)
    assert job["kind"] == "sync" and job["status"] == "succeeded", job
    assert job["params"] == {"connection": "acme", "full": False}
    assert job["rows"] == {"order": 3, "customer": 2}
    assert job["stats"] == {"connector": KIND, "fetched": {"order": 3, "customer": 2}, "pages": 2,
                            "requests": 2 * REQUESTS_PER_ENTITY, "retries": 2, "errors": 2,
                            "waited": 2 * WAITED_PER_ENTITY, "duration_s": job["stats"]["duration_s"]}
    assert 0 <= job["stats"]["duration_s"] <= job["duration_s"]
    assert [thread for name, _, thread in connector.calls if name == "acme"] == ["growthos-writer_0"]
    listed = admin.get("/api/jobs", params={"kind": "sync"}).json()["jobs"]
    assert job_id in [j["id"] for j in listed]
    rows = server.warehouse_rows("SELECT entity, count(*) AS n FROM raw_events WHERE source = ? "
                                 "AND external_id LIKE 'acme-%' GROUP BY entity ORDER BY entity", [KIND])
    assert rows == [{"entity": "customer", "n": 2}, {"entity": "order", "n": 3}]


def test_a_connection_already_queued_is_a_conflict(admin: httpx.Client, connector: SyncingConnector) -> None:
    add(admin, "held")
    connector.gate = threading.Event()
    first = admin.post("/api/syncs", json={"connection": "held"})
    assert first.status_code == 202
    assert connector.started.wait(10)
    conflict = problem(admin.post("/api/syncs", json={"connection": "held"}), 409)
    assert "held is already queued or running" in conflict["detail"]
    connector.gate.set()
    assert finished(admin, first.json()["job_ids"][0])["status"] == "succeeded"
    again = admin.post("/api/syncs", json={"connection": "held"})
    assert again.status_code == 202
    assert finished(admin, again.json()["job_ids"][0])["rows"] == {"order": 0, "customer": 0}  # nothing new


def test_unknown_connection_and_bad_bodies(admin: httpx.Client) -> None:
    missing = problem(admin.post("/api/syncs", json={"connection": "nope"}), 404)
    assert "no connection named 'nope'" in missing["detail"]
    extra = problem(admin.post("/api/syncs", json={"connection": "acme", "fast": True}), 422)
    assert "fast" in json.dumps(extra)
    problem(admin.post("/api/syncs", json={"full": "sometimes"}), 422)
    problem(admin.post("/api/syncs", json={"connection": "x" * 65}), 422)


def test_a_failure_is_a_failed_job_with_the_secret_masked(admin: httpx.Client, connector: SyncingConnector,
                                                          server: LiveServer) -> None:
    add(admin, "broken")
    connector.fail["broken"] = "401 Unauthorized: token {token} was revoked"
    started = admin.post("/api/syncs", json={"connection": "broken", "full": True})
    assert started.status_code == 202
    job = finished(admin, started.json()["job_ids"][0])
    assert job["status"] == "failed" and job["params"] == {"connection": "broken", "full": True}
    assert job["error"] == "401 Unauthorized: token ••••0987 was revoked"
    assert TOKEN not in admin.get("/api/jobs", params={"kind": "sync"}).text


def test_an_empty_body_syncs_every_connection_and_a_shopify_sync_lands_in_the_warehouse(
        server: LiveServer, admin: httpx.Client, shopify: FakeShopify) -> None:
    add(admin, "main-shop", "shopify", {"shop_domain": "forkful.myshopify.com", "access_token": SHOPIFY_TOKEN},
        api_base_url=shopify.base_url)
    names = [c["name"] for c in admin.get("/api/connections").json()["connections"]]
    started = admin.post("/api/syncs")  # no body at all
    assert started.status_code == 202, started.text
    queued = started.json()["jobs"]
    assert sorted(j["connection"] for j in queued) == sorted(names)
    jobs = {j["connection"]: finished(admin, j["job_id"]) for j in queued}
    shop = jobs["main-shop"]
    assert shop["status"] == "succeeded", shop
    assert shop["rows"] == shop["stats"]["fetched"] == {"order": 30, "customer": 20, "product": 8}
    # orders 1 page, customers 1, products 3 + 3 + 2
    assert shop["stats"]["connector"] == "shopify" and shop["stats"]["pages"] == 5
    rows = server.warehouse_rows("SELECT entity, count(*) AS n FROM raw_events WHERE source = 'shopify' "
                                 "GROUP BY entity ORDER BY entity")
    assert rows == [{"entity": "customer", "n": 20}, {"entity": "order", "n": 30}, {"entity": "product", "n": 8}]
    assert {job["status"] for job in jobs.values()} == {"succeeded"}  # "broken" no longer fails
