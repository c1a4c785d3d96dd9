"""Every API route against every kind of caller, on the real server: read and admin keys read, ingest keys
are refused (403), missing, unknown and malformed credentials are 401 with WWW-Authenticate."""

from __future__ import annotations

import httpx
import pytest

from growthos.server.problems import PROBLEM_JSON

READ_ROUTES = [
    "/api/metrics/summary",
    "/api/metrics/timeseries?metrics=orders",
    "/api/metrics/channels",
    "/api/metrics/campaigns",
    "/api/metrics/funnel",
    "/api/metrics/unit-economics",
    "/api/metrics/cohorts",
    "/api/catalogue",
    "/api/jobs",
    "/api/jobs/{job_id}",
    "/api/checks",
    "/api/stream",
    "/api/product/trends?events=Signed Up",
    "/api/product/active-users",
    "/api/product/retention?start_event=Signed Up&return_event=Application Opened",
    "/api/product/stickiness",
    "/api/product/features",
    "/api/product/users?q=a",
]

WRONG_KEY = "gos_read_" + "A" * 43
MALFORMED = {
    "basic scheme": "Basic dXNlcjpwYXNz",
    "bearer without token": "Bearer",
    "token without scheme": "gos_read_abcdefgh",
    "empty": "",
}


@pytest.fixture(scope="module")
def job_id(api: httpx.Client, live_server) -> int:
    jobs = api.get("/api/jobs", params={"kind": "build"}, headers=live_server.auth("read")).json()["jobs"]
    return jobs[-1]["id"]


def _get(api: httpx.Client, route: str, headers: dict[str, str]) -> httpx.Response:
    """GET the route; an event stream is opened, its status and headers read, and closed."""
    if route == "/api/stream":
        with api.stream("GET", route, headers=headers, timeout=10) as response:
            return response
    return api.get(route, headers=headers)


def _assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body


def _assert_unauthorized(response: httpx.Response) -> None:
    _assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("route", READ_ROUTES)
@pytest.mark.parametrize("scope", ["read", "admin"])
def test_read_and_admin_keys_read(api, live_server, job_id, route, scope):
    response = _get(api, route.format(job_id=job_id), live_server.auth(scope))
    assert response.status_code == 200
    expected = "text/event-stream" if route == "/api/stream" else "application/json"
    assert response.headers["content-type"].startswith(expected)


@pytest.mark.parametrize("route", READ_ROUTES)
def test_no_credentials_is_401(api, job_id, route):
    _assert_unauthorized(api.get(route.format(job_id=job_id)))


@pytest.mark.parametrize("route", READ_ROUTES)
def test_unknown_key_is_401(api, job_id, route):
    _assert_unauthorized(api.get(route.format(job_id=job_id), headers={"Authorization": f"Bearer {WRONG_KEY}"}))


@pytest.mark.parametrize("route", READ_ROUTES)
def test_ingest_key_is_403(api, live_server, job_id, route):
    body = _assert_problem(api.get(route.format(job_id=job_id), headers=live_server.auth("ingest")), 403)
    assert "read" in body["detail"]


@pytest.mark.parametrize("route", READ_ROUTES)
@pytest.mark.parametrize("header", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_authorization_is_401(api, job_id, route, header):
    _assert_unauthorized(api.get(route.format(job_id=job_id), headers={"Authorization": header}))


def test_auth_comes_before_parameter_checks(api):
    """A caller without credentials learns nothing about the parameters."""
    _assert_unauthorized(api.get("/api/metrics/summary", params={"from": "bogus", "to": "2026-01-01"}))
    _assert_unauthorized(api.get("/api/jobs", params={"limit": -1}))


def test_health_needs_no_credentials(api):
    response = api.get("/api/health")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="none"),
        pytest.param({"Authorization": f"Bearer {WRONG_KEY}"}, id="unknown key"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="malformed"),
    ],
)
def test_builds_without_valid_credentials_is_401(api, headers):
    _assert_unauthorized(api.post("/api/builds", headers=headers))


@pytest.mark.parametrize("scope", ["read", "ingest"])
def test_builds_need_admin(api, live_server, scope):
    body = _assert_problem(api.post("/api/builds", headers=live_server.auth(scope)), 403)
    assert "admin" in body["detail"]
