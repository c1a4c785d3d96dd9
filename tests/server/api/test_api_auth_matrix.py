"""The auth matrix: every route the server serves (its OpenAPI document and the dashboard's pages) × every
kind of caller — no credentials, an unknown key, an ingest, read and admin key, an expired session, a live
session with and without its CSRF token — on a real server of a fresh workspace. Only the intended scopes get
through; the others get a 401 or 403 problem (pages: a redirect to the login page).

Who may call what is written in support/routes.py, by rule, independently of the routes' own dependencies; a route
that no rule classifies fails the test, so a new route has to be placed in the matrix."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from support.routes import KEY_ONLY, PUBLIC, required_scope
from support.server import LiveServer, empty_server

from growthos.server.auth import CSRF_HEADER, SESSION_COOKIE
from growthos.server.pages.dashboard import PAGES
from growthos.server.problems import PROBLEM_JSON
from growthos.store import AppStore

WRONG_KEY = "gos_read_" + "A" * 43
SKIPPED = {("GET", "/api/stream")}  # an endless event stream; covered by test_api_auth.py's stream checks


def _served_routes(server: LiveServer) -> list[tuple[str, str]]:
    spec = httpx.get(f"{server.url}/api/openapi.json", timeout=30).json()
    return sorted((method.upper(), path) for path, ops in spec["paths"].items() for method in ops)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("auth-matrix")) as live:
        yield live


@pytest.fixture(scope="module")
def callers(server: LiveServer) -> dict[str, dict[str, dict[str, str]]]:
    """Caller name → {'headers': ..., 'cookies': ...}; sessions opened through the store, one left to expire."""
    with AppStore.from_settings(server.settings) as store:
        keys = {k.scope: k.id for k in store.list_api_keys() if k.name.startswith("test ")}
        read_session, read_token = store.create_session(keys["read"], 3600)
        admin_session, admin_token = store.create_session(keys["admin"], 3600)
        _expired, expired_token = store.create_session(keys["admin"], 1)
    time.sleep(1.2)

    def bearer(secret: str) -> dict:
        return {"headers": {"Authorization": f"Bearer {secret}"}, "cookies": {}}

    def session(token: str, csrf: str | None = None) -> dict:
        return {"headers": {CSRF_HEADER: csrf} if csrf else {}, "cookies": {SESSION_COOKIE: token}}

    return {
        "none": {"headers": {}, "cookies": {}},
        "wrong key": bearer(WRONG_KEY),
        "ingest key": bearer(server.keys["ingest"]),
        "read key": bearer(server.keys["read"]),
        "admin key": bearer(server.keys["admin"]),
        "expired session": session(expired_token, "whatever"),
        "read session": session(read_token, read_session.csrf_token),
        "read session, no CSRF": session(read_token),
        "admin session": session(admin_token, admin_session.csrf_token),
        "admin session, no CSRF": session(admin_token),
        "admin session, wrong CSRF": session(admin_token, "not-the-token"),
    }


def _basic(secret: str) -> dict:
    return {"headers": {"Authorization": "Basic " + base64.b64encode(f"{secret}:".encode()).decode()}, "cookies": {}}


IDENTITY = {"ingest key": ("ingest", "key"), "read key": ("read", "key"), "admin key": ("admin", "key"),
            "read session": ("read", "session"), "read session, no CSRF": ("read", "session, no CSRF"),
            "admin session": ("admin", "session"), "admin session, no CSRF": ("admin", "session, no CSRF"),
            "admin session, wrong CSRF": ("admin", "session, no CSRF")}
"""Caller → (the scope it holds, how it is sent); callers not listed hold nothing."""
GRANTS = {"admin": {"read", "admin", "ingest"}, "read": {"read"}, "ingest": {"ingest"}}


def _allowed(scope: str, method: str, path: str, caller: str) -> bool:
    if caller not in IDENTITY:
        return False
    held, via = IDENTITY[caller]
    if via.startswith("session") and method == "POST" and KEY_ONLY.match(path):
        return False
    if via == "session, no CSRF" and method != "GET":
        return False  # a state-changing request from a session needs its CSRF token
    return scope in GRANTS[held]


def _call(server: LiveServer, method: str, path: str, caller: dict) -> httpx.Response:
    url = server.url + re.sub(r"\{[^}]+\}", "1", path)
    body = {"content": b"{}", "headers": {"Content-Type": "application/json"}} if method != "GET" else {}
    with httpx.Client(cookies=caller["cookies"], timeout=60, follow_redirects=False) as client:
        return client.request(method, url, headers={**caller["headers"], **body.get("headers", {})},
                              content=body.get("content"))


def _refused(response: httpx.Response) -> bool:
    """A 401 (with its WWW-Authenticate challenge) or a 403, as a problem-details body."""
    return (response.status_code in (401, 403)
            and response.headers.get("content-type", "").startswith(PROBLEM_JSON)
            and (response.status_code == 403 or "www-authenticate" in response.headers))


def _assert_refused(response: httpx.Response, label: str) -> None:
    assert _refused(response), f"{label}: {response.status_code} {response.text[:200]}"


def test_every_route_is_in_the_matrix(server):
    unclassified = [r for r in _served_routes(server) if r not in PUBLIC and required_scope(*r) is None]
    assert unclassified == []


def test_api_routes_admit_only_their_scopes(server, callers):
    routes = [r for r in _served_routes(server) if r not in SKIPPED and required_scope(*r) not in (None, "segment")]
    wrong = []
    for method, path in routes:
        for name, caller in callers.items():
            response = _call(server, method, path, caller)
            label = f"{name} → {method} {path}: {response.status_code} {response.text[:160]}"
            if _allowed(required_scope(method, path), method, path, name):
                if response.status_code in (401, 403) or response.status_code >= 500:
                    wrong.append(label)
            elif not _refused(response):
                wrong.append(label)
    assert len(routes) > 70
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("path", sorted(p for m, p in PUBLIC if p != "/login"))
def test_public_routes_need_no_credentials(server, path):
    response = httpx.get(server.url + path, timeout=30)
    assert response.status_code not in (401, 403, 500), response.text[:200]


@pytest.mark.parametrize("path", ["/v1/track", "/v1/batch", "/v1/identify"])
def test_segment_routes_take_ingest_write_keys_only(server, path):
    body = {"batch": [{"type": "track", "event": "x", "userId": "u"}]} if path == "/v1/batch" else {
        "type": "track", "event": "x", "userId": "u"}
    for scope, expected in (("ingest", 200), ("read", 403), ("admin", 403)):
        caller = _basic(server.keys[scope])
        response = httpx.post(server.url + path, json=body, headers=caller["headers"], timeout=30)
        assert response.status_code == expected, (scope, response.text[:200])
    for headers in ({}, _basic(WRONG_KEY)["headers"], {"Authorization": f"Bearer {server.keys['ingest']}"}):
        _assert_refused(httpx.post(server.url + path, json=body, headers=headers, timeout=30), f"{path} {headers}")


@pytest.mark.parametrize("page", [p.path for p in PAGES])
def test_pages_need_a_read_session_or_key(server, callers, page):
    for name, caller in callers.items():
        with httpx.Client(cookies=caller["cookies"], timeout=60, follow_redirects=False) as client:
            response = client.get(server.url + page, headers=caller["headers"])
        if name in ("none", "wrong key", "expired session", "ingest key"):
            assert response.status_code == 303 and response.headers["location"] == "/login", (name, page)
        else:
            assert response.status_code == 200, (name, page, response.status_code)


def test_ingest_keys_cannot_log_in(server):
    response = httpx.get(f"{server.url}/login", params={"token": server.keys["ingest"]}, timeout=30)
    assert response.status_code == 401
    assert SESSION_COOKIE not in response.cookies


def test_logout_needs_the_csrf_token(server, callers):
    caller = callers["read session, no CSRF"]
    with httpx.Client(cookies=caller["cookies"], timeout=30) as client:
        _assert_refused(client.post(f"{server.url}/logout"), "logout without CSRF")
    assert httpx.get(server.url + "/", cookies=caller["cookies"], timeout=30).status_code == 200  # still live
