"""Schema-driven fuzzing of every route from the server's own OpenAPI document (schemathesis + hypothesis),
against a real server on 127.0.0.1 serving a demo workspace of its own (the fuzz writes rules, loops,
connections and events into it). Each route is called with the credentials its scope needs (support/routes.py)
with requests that fit the schema and requests that break it. Every answer must be below 500, and every 4xx a
problem-details body (RFC 9457) whose ``status`` is the response's.

GROWTHOS_FUZZ_EXAMPLES sets the examples per route and mode (default 12)."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from support.routes import required_scope
from support.server import LiveServer, demo_workspace_settings, serving

from growthos.config import load_settings
from growthos.server.app import create_app
from growthos.server.problems import PROBLEM_JSON

EXAMPLES = int(os.environ.get("GROWTHOS_FUZZ_EXAMPLES", "12"))
SKIPPED = {("GET", "/api/stream"): "an endless event stream (its auth and framing: test_api_auth.py)"}
OTLP_STATUS = "OTLP/HTTP answers with a google.rpc.Status JSON body ({code, message}), as its exporters expect"
NOT_PROBLEMS = {("POST", "/v1/traces", 400): OTLP_STATUS, ("POST", "/v1/traces", 415): OTLP_STATUS}
"""(method, path, status) answered with another documented error body than problem details, and why."""


def _spec() -> dict[str, Any]:
    """The OpenAPI document, from the app itself (building the app touches no data directory)."""
    with tempfile.TemporaryDirectory() as tmp:
        return create_app(load_settings(data_dir=Path(tmp), engine="duckdb")).openapi()


SPEC = _spec()
OPERATIONS = sorted((method.upper(), path) for path, ops in SPEC["paths"].items() for method in ops)
SCHEMA = schemathesis.openapi.from_dict(SPEC)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(demo_workspace_settings(tmp_path_factory.mktemp("fuzz"))) as live:
        yield live


def _credentials(server: LiveServer, method: str, path: str) -> dict[str, str]:
    scope = required_scope(method, path)
    if scope is None:
        return {}
    if scope == "segment":
        return {"Authorization": "Basic " + base64.b64encode(f"{server.keys['ingest']}:".encode()).decode()}
    return server.auth(scope)


def _operation(method: str, path: str):
    for result in SCHEMA.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == method and operation.path == path:
            return operation
    raise LookupError(f"{method} {path} is not in the OpenAPI document")


def _problem_error(method: str, path: str, response: Response) -> str | None:
    """Why this response breaks the contract, or None."""
    status = response.status_code
    media = next(iter({k.lower(): v for k, v in response.headers.items()}.get("content-type", [])), "")
    if status >= 500:
        return f"{status}: {response.text[:300]}"
    if status < 400 or (method, path, status) in NOT_PROBLEMS:
        return None
    if not media.startswith(PROBLEM_JSON):
        return f"{status} with Content-Type {media!r}: {response.text[:200]}"
    try:
        body = response.json()
    except ValueError:
        return f"{status} problem body is not JSON: {response.text[:200]}"
    if body.get("status") != status or not body.get("title"):
        return f"{status} problem body lacks a matching status or a title: {body}"
    return None


def _fuzz(server: LiveServer, method: str, path: str, mode: GenerationMode) -> tuple[list[str], list[int]]:
    """Drive the route with hypothesis; the contract breaches found and every status seen."""
    operation = _operation(method, path)
    headers = _credentials(server, method, path)
    breaches: list[str] = []
    statuses: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        try:
            response = case.call(base_url=server.url, headers=headers, timeout=60)
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, UnicodeEncodeError,
                ValueError):
            return  # a request the HTTP client itself refuses to send never reaches the server
        statuses.append(response.status_code)
        breach = _problem_error(method, path, response)
        if breach:
            breaches.append(f"{case.method} {case.formatted_path} {case.query or ''} "
                            f"body={str(case.body)[:120]!r}: {breach}")

    try:
        run()
    except Unsatisfiable:
        pass  # no request of this mode exists for the route (e.g. nothing to break in a parameterless GET)
    return breaches, statuses


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if op not in SKIPPED],
                         ids=[f"{m} {p}" for m, p in OPERATIONS if (m, p) not in SKIPPED])
def test_route_survives_fuzzing(server, method, path):
    breaches, statuses = [], []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        found, seen = _fuzz(server, method, path, mode)
        breaches += [f"[{mode.value}] {b}" for b in found]
        statuses += seen
    assert breaches == [], "\n".join(breaches[:20])
    assert statuses, "no request was sent"
    assert any(s not in (401, 403) for s in statuses), f"every request was refused: {sorted(set(statuses))}"


def test_every_route_is_fuzzed_or_skipped_with_a_reason():
    served = set(OPERATIONS)
    assert len(served) > 80
    assert set(SKIPPED) <= served
    assert all(reason for reason in SKIPPED.values())
    assert {(m, p) for m, p, _ in NOT_PROBLEMS} <= served


def test_the_server_still_answers_after_the_fuzz(server):
    """Run last in this module: nothing the fuzz sent left the server broken."""
    assert httpx.get(f"{server.url}/api/health", timeout=30).status_code == 200
    response = httpx.get(f"{server.url}/api/metrics/summary", params={"range": "30d"},
                         headers=server.auth("read"), timeout=60)
    assert response.status_code == 200 and response.json()["kpis"]
