"""API keys and session tokens are found nowhere they should not be: a real server is called with every way a
key travels (Bearer header, HTTP Basic, Segment's writeKey in the body, OTLP's ``key`` query parameter, the
login link's ``token``, OAuth's ``code`` and ``state``) and with wrong keys; then no secret appears in the
process log (the access log included), in any answer body or header but the session cookie it sets, or in any
file of the data directory (the app database stores only hashes)."""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.logs import process_log
from support.server import empty_server

from growthos.server.access_log import shown_query
from growthos.server.auth import CSRF_HEADER, SESSION_COOKIE


@pytest.fixture
def quiet_client_log() -> Iterator[None]:
    """The test's own HTTP client logs the URLs it calls; only the server's log is under test."""
    loggers = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    yield
    for lg, level in zip(loggers, levels, strict=True):
        lg.setLevel(level)


def test_no_key_or_token_is_logged_answered_or_stored(tmp_path: Path, quiet_client_log: None) -> None:
    data_dir = tmp_path / "data"
    wrong = "gos_ingest_" + secrets.token_urlsafe(32)
    oauth_code, oauth_state = "code_" + secrets.token_hex(16), "state_" + secrets.token_hex(16)
    answers: list[str] = []
    with process_log(tmp_path / "server.log") as log_path, empty_server(data_dir) as live:
        ingest, read, admin = live.keys["ingest"], live.keys["read"], live.keys["admin"]
        with httpx.Client(base_url=live.url, timeout=30, follow_redirects=False) as client:
            def call(method: str, path: str, **kwargs) -> httpx.Response:
                response = client.request(method, path, **kwargs)
                headers = {k: v for k, v in response.headers.items() if k != "set-cookie"}
                answers.append(f"{response.status_code} {headers} {response.text}")
                return response

            basic = "Basic " + base64.b64encode(f"{ingest}:".encode()).decode()
            event = {"type": "track", "event": "opened", "userId": "u1"}
            assert call("POST", "/v1/track", json=event, headers={"Authorization": basic}).status_code == 200
            assert call("POST", "/v1/track", json={**event, "writeKey": ingest}).status_code == 200
            assert call("POST", "/v1/track", json={**event, "writeKey": wrong}).status_code == 401
            assert call("POST", "/v1/traces", params={"key": ingest}, json={"resourceSpans": []}).status_code == 200
            assert call("POST", "/v1/traces", params={"key": wrong}, json={"resourceSpans": []}).status_code == 401
            assert call("POST", "/api/analytics/events", json={"event": "e", "user_id": "u"},
                        headers={"Authorization": f"Bearer {ingest}"}).status_code == 200
            assert call("GET", "/api/jobs", headers={"Authorization": f"Bearer {read}"}).status_code == 200
            assert call("GET", "/api/jobs", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
            assert call("GET", "/api/connections", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
            login = call("GET", "/login", params={"token": read})
            assert login.status_code == 303
            session = login.cookies[SESSION_COOKIE]
            client.cookies.set(SESSION_COOKIE, session)
            page = call("GET", "/")
            assert page.status_code == 200
            assert call("GET", "/login", params={"token": wrong}).status_code == 401
            call("GET", "/api/connections/google/oauth/callback", params={"code": oauth_code, "state": oauth_state})
            csrf = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
            assert call("POST", "/logout", headers={CSRF_HEADER: csrf}).status_code == 303

        log_text = log_path.read_text(encoding="utf-8")
    assert "POST /v1/traces?key=*** 200" in log_text and "GET /api/jobs 200" in log_text  # the log was captured
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "app.db" for p in files)
    for secret in (ingest, read, admin, wrong, session, oauth_code, oauth_state):
        for needle in (secret, secret[-20:]):
            assert needle not in log_text, needle
            assert not any(needle in answer for answer in answers), needle
            for path in files:
                assert needle.encode() not in path.read_bytes(), path


def test_the_logged_query_string_hides_credentials() -> None:
    key = "gos_ingest_" + "x" * 43
    assert shown_query(f"key={key}&range=30d") == "key=***&range=30d"
    assert shown_query(f"range=30d&KEY={key}") == "range=30d&KEY=***"
    assert shown_query("code=abc&state=def&scope=ads") == "code=***&state=***&scope=ads"
    assert shown_query(f"q={key}") == "q=***"  # a key pasted anywhere
    assert shown_query("range=30d&monkey=1") == "range=30d&monkey=1"  # only whole parameter names
