"""ApiClient over real HTTP against a small fake JSON API on 127.0.0.1: how each answer and fault is
classified, retried and counted."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fakes.server import FakeService
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from growthos.sources.http import (
    ApiClient,
    AuthError,
    RetryableConnectorError,
    RetryPolicy,
    TerminalConnectorError,
    Timeouts,
)

TOKEN = "good-token"


class FakeItems(FakeService):
    def routes(self) -> list[Route]:
        return [Route("/v1/items", self._items, methods=["GET", "POST"])]

    def error_body(self, status: int):
        return {"error": {"code": status, "message": f"fake says {status}"}}

    async def _items(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"error": {"code": 401, "message": "Request had invalid authentication credentials."}},
                                status_code=401)
        return JSONResponse({"items": list(range(50)), "echo": dict(request.query_params)})


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeItems]:
    service = FakeItems()
    with service.serve():
        yield service


@pytest.fixture
def api(fake: FakeItems) -> Iterator[tuple[ApiClient, list[float]]]:
    fake.faults.clear()
    fake.log.clear()
    sleeps: list[float] = []
    client = ApiClient(fake.base_url, auth_headers=lambda: {"Authorization": f"Bearer {TOKEN}"},
                       retry=RetryPolicy(max_attempts=4, base_delay=0.01, sleep=sleeps.append, random=lambda: 1.0),
                       timeouts=Timeouts(connect=1.0, read=0.5))
    yield client, sleeps
    client.close()


def test_a_json_answer_with_the_auth_header_and_params(api, fake):
    client, sleeps = api
    body = client.request_json("GET", "/v1/items", params={"since": "2026-02-01"})
    assert body["items"] == list(range(50)) and body["echo"] == {"since": "2026-02-01"}
    assert fake.log.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert (client.stats.requests, client.stats.retries, client.stats.errors) == (1, 0, 0)
    assert sleeps == []


def test_429_is_retried_after_the_retry_after_seconds(api, fake):
    client, sleeps = api
    fake.faults.status(429, headers={"Retry-After": "7"})
    assert client.request_json("GET", "/v1/items")["items"][0] == 0
    assert sleeps == [7.0]
    assert (client.stats.requests, client.stats.retries, client.stats.errors) == (2, 1, 1)
    assert client.stats.waited == 7.0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_with_backoff(api, fake, status):
    client, sleeps = api
    fake.faults.status(status, times=2)
    assert client.request_json("GET", "/v1/items")["items"][-1] == 49
    assert sleeps == [0.01, 0.02]  # random() = 1.0: the full ceiling, doubling
    assert [r.fault for r in fake.log.requests] == ["status", "status", None]


@pytest.mark.parametrize("fault", ["malformed", "truncated", "cut"])
def test_broken_bodies_are_transient(api, fake, fault):
    client, _ = api
    if fault == "malformed":
        fake.faults.malformed_json()
    else:
        fake.faults.truncated(cut_connection=fault == "cut")
    assert client.request_json("GET", "/v1/items")["items"] == list(range(50))
    assert client.stats.retries == 1


def test_a_read_timeout_is_retried(fake):
    sleeps: list[float] = []
    client = ApiClient(fake.base_url, auth_headers=lambda: {"Authorization": f"Bearer {TOKEN}"},
                       retry=RetryPolicy(sleep=sleeps.append), timeouts=Timeouts(connect=1.0, read=0.03))
    fake.faults.clear()
    fake.faults.timeout(0.1)
    with client:
        assert client.request_json("GET", "/v1/items")["items"][0] == 0
    assert client.stats.retries == 1 and len(sleeps) == 1


def test_401_and_403_are_auth_errors_with_the_apis_message(api, fake):
    client, sleeps = api
    bad = ApiClient(fake.base_url, auth_headers=lambda: {"Authorization": "Bearer nope"},
                    retry=RetryPolicy(sleep=sleeps.append))
    with bad, pytest.raises(AuthError, match="invalid authentication credentials") as info:
        bad.request_json("GET", "/v1/items")
    assert info.value.http_status == 401
    fake.faults.status(403, body={"error": {"code": 403, "message": "caller lacks permission"}})
    with pytest.raises(AuthError, match="HTTP 403: caller lacks permission"):
        client.request_json("GET", "/v1/items")
    assert sleeps == []


def test_other_4xx_are_terminal_and_not_retried(api, fake):
    client, sleeps = api
    fake.faults.status(400, body={"error": {"message": "Invalid field 'foo'"}})
    with pytest.raises(TerminalConnectorError, match="Invalid field 'foo'") as info:
        client.request_json("GET", "/v1/items")
    assert not isinstance(info.value, AuthError)
    with pytest.raises(TerminalConnectorError, match="HTTP 404"):
        client.request_json("GET", "/v1/nothing")
    assert sleeps == [] and client.stats.errors == 2


def test_gives_up_after_the_attempts_with_the_last_error(api, fake):
    client, sleeps = api
    fake.faults.status(503, times=10)
    with pytest.raises(RetryableConnectorError, match="HTTP 503: fake says 503"):
        client.request_json("GET", "/v1/items")
    assert len(fake.log) == 4 and len(sleeps) == 3
    fake.faults.clear()


def test_a_refused_connection_is_retryable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    client = ApiClient(f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=2, sleep=sleeps.append))
    with client, pytest.raises(RetryableConnectorError, match="ConnectError"):
        client.request_json("GET", "/v1/items")
    assert len(sleeps) == 1


def test_a_validate_hook_can_reject_a_200(api, fake):
    client, sleeps = api
    answers = iter([RetryableConnectorError("not yet", retry_after=2.0), None])

    def validate(response, body):
        error = next(answers)
        if error:
            raise error

    assert client.request_json("GET", "/v1/items", validate=validate)["items"][0] == 0
    assert sleeps == [2.0]


def test_the_base_url_is_the_connections_override_or_the_real_apis():
    from growthos.sources.connectors import ConnectionConfig

    real = ApiClient.for_connection(ConnectionConfig("c", "x"), "https://api.example.com/")
    fake = ApiClient.for_connection(ConnectionConfig("c", "x", api_base_url="http://127.0.0.1:9/"), "https://a.b")
    with real, fake:
        assert str(real._http.base_url) == "https://api.example.com"
        assert str(fake._http.base_url) == "http://127.0.0.1:9"
