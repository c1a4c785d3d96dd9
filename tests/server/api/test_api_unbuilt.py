"""A server whose warehouse was never built answers its metric routes with a 404 problem, not a 500."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from growthos.config import load_settings
from growthos.server.background import BackgroundServer
from growthos.server.problems import PROBLEM_JSON
from growthos.store import AppStore


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("empty-server")
    settings = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb")
    with AppStore.from_settings(settings) as store:
        _key, secret = store.create_api_key("test read", "read")
    thread = BackgroundServer(settings)
    url = thread.start()
    try:
        yield url, {"Authorization": f"Bearer {secret}"}
    finally:
        thread.stop()


@pytest.mark.parametrize("route", ["/api/metrics/summary", "/api/metrics/timeseries?metrics=orders",
                                   "/api/metrics/channels", "/api/metrics/campaigns", "/api/metrics/funnel",
                                   "/api/metrics/unit-economics", "/api/metrics/cohorts"])
def test_metrics_before_the_first_build_are_404(empty_server, route):
    url, read = empty_server
    response = httpx.get(url + route, headers=read, timeout=10)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "not been built" in response.json()["detail"]


@pytest.mark.parametrize("route", ["/api/jobs", "/api/checks", "/api/catalogue"])
def test_other_routes_answer_before_the_first_build(empty_server, route):
    url, read = empty_server
    assert httpx.get(url + route, headers=read, timeout=10).status_code == 200
