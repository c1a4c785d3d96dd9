"""/api/metrics/* answers come from the result cache between builds, and a finished build replaces them: on a
real server with one order, then a second order loaded into the raw layer (the marts, and so the answer, stay
as they were until the build), then POST /api/builds: the summary counts both."""

from __future__ import annotations

import time

import httpx
from fixtures.shopify import customer, order
from support.server import empty_server

from growthos.config import write_workspace_file
from growthos.warehouse.build import run_models
from growthos.warehouse.raw import ingest

RANGE = {"from": "2026-02-01", "to": "2026-02-07"}


def _orders(client: httpx.Client) -> float:
    response = client.get("/api/metrics/summary", params={**RANGE, "metrics": "orders"})
    assert response.status_code == 200, response.text
    return response.json()["kpis"]["orders"]["value"]


def test_a_build_replaces_cached_metric_answers(tmp_path):
    data_dir = tmp_path / "data"
    write_workspace_file(data_dir, {"as_of": "2026-02-10", "timezone": "UTC"})
    with empty_server(data_dir) as live, httpx.Client(base_url=live.url, headers=live.auth("read"),
                                                      timeout=60) as client:
        state = live.app.state.growthos
        ingest(state.workspace.engine, [customer(1, "2026-02-01T10:00:00Z"),
                                        order(1, "2026-02-02T15:00:00Z", 1, [("Meal Kits", 1, "50.00", "0")])])
        run_models(state.workspace.engine, state.settings)
        state.results.invalidate()  # built behind the server's back: start from an empty cache
        assert _orders(client) == 1
        ingest(state.workspace.engine, [order(2, "2026-02-03T15:00:00Z", 1, [("Meal Kits", 1, "40.00", "0")])])
        assert _orders(client) == 1  # not built yet
        assert httpx.post(f"{live.url}/api/builds", headers=live.auth("admin"), timeout=60).status_code == 202
        deadline = time.monotonic() + 60
        while _orders(client) != 2:
            assert time.monotonic() < deadline, "the build's answer never replaced the cached one"
            time.sleep(0.1)
