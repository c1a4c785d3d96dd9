"""The shared harness (fakes.server): serving, request log and every fault kind, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fakes.server import FakeService, Fault, Faults, running


class EchoFake(FakeService):
    """A minimal fake: GET/POST /items answers a fixed JSON list; its API's expired token is 401."""

    BODY = {"items": [{"id": i, "name": f"item-{i}"} for i in range(20)]}

    def routes(self) -> list[Route]:
        async def items(request: Request) -> JSONResponse:
            return JSONResponse(self.BODY)

        return [Route("/items", items, methods=["GET", "POST"]), Route("/other", items)]

    def expired_token_response(self) -> tuple[int, dict]:
        return 401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


@pytest.fixture
def echo() -> Iterator[tuple[EchoFake, str]]:
    fake = EchoFake()
    with fake.serve() as base_url:
        yield fake, base_url


def test_running_serves_on_loopback_and_stops() -> None:
    fake = EchoFake()
    with running(fake.app) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base_url}/items").json() == EchoFake.BODY
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/items", timeout=1)


def test_two_fakes_get_distinct_ports() -> None:
    with EchoFake().serve() as one, EchoFake().serve() as two:
        assert one != two
        assert httpx.get(f"{one}/items").status_code == httpx.get(f"{two}/items").status_code == 200


def test_request_log_records_method_path_query_body_and_headers(echo) -> None:
    fake, url = echo
    httpx.post(f"{url}/items", params={"a": "1", "b": "x y"}, json={"q": [1, 2]}, headers={"X-Token": "t"})
    httpx.post(f"{url}/items", data={"grant_type": "refresh_token"})
    first, second = fake.log.requests
    assert (first.method, first.path, first.query) == ("POST", "/items", {"a": "1", "b": "x y"})
    assert first.json() == {"q": [1, 2]}
    assert first.headers["x-token"] == "t"
    assert first.fault is None
    assert second.form() == {"grant_type": "refresh_token"}
    assert len(fake.log.matching(r"^/items$", method="POST")) == 2
    fake.log.clear()
    assert len(fake.log) == 0


def test_status_fault_with_headers_then_normal_answer(echo) -> None:
    fake, url = echo
    fake.faults.status(429, headers={"Retry-After": "7"})
    fake.faults.status(503, body={"custom": True})
    first = httpx.get(f"{url}/items")
    assert first.status_code == 429 and first.headers["retry-after"] == "7"
    assert first.json() == {"error": {"code": 429, "message": "Too Many Requests"}}
    second = httpx.get(f"{url}/items")
    assert (second.status_code, second.json()) == (503, {"custom": True})
    assert httpx.get(f"{url}/items").status_code == 200
    assert [r.fault for r in fake.log.requests] == ["status", "status", None]


def test_fault_matches_path_method_and_times(echo) -> None:
    fake, url = echo
    fake.faults.status(500, path=r"^/other$", times=2)
    fake.faults.status(502, method="POST")
    assert httpx.get(f"{url}/items").status_code == 200
    assert httpx.post(f"{url}/items").status_code == 502
    assert httpx.get(f"{url}/other").status_code == 500
    assert fake.faults.pending() == 1
    assert httpx.get(f"{url}/other").status_code == 500
    assert httpx.get(f"{url}/other").status_code == 200
    assert fake.faults.pending() == 0


def test_timeout_fault_delays_the_answer(echo) -> None:
    fake, url = echo
    fake.faults.timeout(0.2)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{url}/items", timeout=0.05)
    assert httpx.get(f"{url}/items", timeout=2).status_code == 200


def test_malformed_json_fault(echo) -> None:
    fake, url = echo
    fake.faults.malformed_json()
    response = httpx.get(f"{url}/items")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_truncated_fault_sends_the_first_half_of_the_real_body(echo) -> None:
    fake, url = echo
    full = httpx.get(f"{url}/items").content
    fake.faults.truncated()
    response = httpx.get(f"{url}/items")
    assert response.status_code == 200
    assert response.content == full[: len(full) // 2]
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_truncated_fault_can_cut_the_connection(echo) -> None:
    fake, url = echo
    fake.faults.truncated(cut_connection=True)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{url}/items")
    assert httpx.get(f"{url}/items").status_code == 200


def test_expired_token_fault_uses_the_fake_s_own_shape(echo) -> None:
    fake, url = echo
    fake.faults.expired_token()
    response = httpx.get(f"{url}/items")
    assert response.status_code == 401
    assert "Invalid API key" in response.json()["errors"]


def test_faults_reject_unknown_kinds_and_clear() -> None:
    faults = Faults()
    with pytest.raises(ValueError):
        faults.add(Fault("explode"))
    faults.status(500, times=3)
    faults.clear()
    assert faults.pending() == 0 and faults.take("GET", "/") is None
