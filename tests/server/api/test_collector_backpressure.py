"""Back-pressure of the collector through a real server on 127.0.0.1: past the in-flight request limit or
with a full backlog the ingest routes answer 429 with Retry-After and a problem body, at once, storing nothing
of the refused request; every acknowledged event ends up in the warehouse exactly once; the official Segment
Python SDK waits and retries its refused batches until they are stored."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from support.server import LiveServer, serving

from growthos.config import load_settings
from growthos.server.problems import PROBLEM_JSON


@contextmanager
def collector_server(data_dir: Path, **settings) -> Iterator[LiveServer]:
    """An empty workspace served with the given collector settings."""
    base = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb",
                         scheduler_enabled=False, **settings)
    with serving(base) as live:
        yield live


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def batch(tag: str, first: int, n: int = 100) -> bytes:
    return json.dumps({"batch": [{"type": "track", "event": "Recipe Viewed", "userId": f"u-{tag}-{(first + i) % 7}",
                                  "messageId": f"m-{tag}-{first + i}", "properties": {"n": first + i}}
                                 for i in range(n)]}).encode()


def stored_counts(server: LiveServer, tag: str) -> dict[str, int]:
    """message_id -> rows stored with it."""
    rows = server.warehouse_rows("SELECT message_id, count(*) AS n FROM events WHERE message_id LIKE ? "
                                 "GROUP BY message_id", [f"m-{tag}-%"])
    return {r["message_id"]: r["n"] for r in rows}


def assert_overload_problem(response: httpx.Response | http.client.HTTPResponse, body: bytes) -> int:
    """A 429 with whole seconds of Retry-After and a problem body; returns the Retry-After."""
    assert response.status == 429 if isinstance(response, http.client.HTTPResponse) else response.status_code == 429
    headers = response.headers
    assert headers["content-type"] == PROBLEM_JSON
    problem = json.loads(body)
    assert problem["status"] == 429 and problem["title"] == "Collector overloaded", problem
    assert problem["detail"]
    retry_after = int(headers["retry-after"])
    assert 1 <= retry_after <= 30
    return retry_after


class LoaderHold:
    """Holds the collector's loader inside a maintenance task (``EventWriter.call``, as a compaction would),
    so acknowledged events pile up in the backlog until ``release``."""

    def __init__(self, server: LiveServer) -> None:
        self.collector = server.app.state.growthos.collector
        self._open = threading.Event()
        entered = threading.Event()

        def hold(_engine) -> None:
            entered.set()
            self._open.wait(60)

        self._thread = threading.Thread(target=self.collector.call, args=(hold,), daemon=True)
        self._thread.start()
        assert entered.wait(10)

    def release(self) -> None:
        self._open.set()
        self._thread.join(10)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_requests_past_the_in_flight_limit_get_429_before_their_body_is_read(tmp_path):
    tag = uuid.uuid4().hex[:8]
    with collector_server(tmp_path, collector_max_inflight_requests=2) as server:
        gate = server.app.state.growthos.ingest
        host = urlsplit(server.url)
        slow = []
        for i in range(2):  # two senders whose bodies arrive slowly hold both slots
            body = batch(tag, i * 100)
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            conn.putrequest("POST", "/v1/batch")
            for name, value in {**basic(server.keys["ingest"]), "Content-Type": "application/json",
                                "Content-Length": str(len(body))}.items():
                conn.putheader(name, value)
            conn.endheaders()
            conn.send(body[:100])
            slow.append((conn, body))
        wait_for(lambda: gate.in_flight == 2, "both slow requests to be admitted")

        refused = httpx.post(server.url + "/v1/batch", content=batch(tag, 1000), timeout=10,
                             headers={**basic(server.keys["ingest"]), "Content-Type": "application/json"})
        assert assert_overload_problem(refused, refused.content) == 1
        assert "in flight" in refused.json()["detail"]
        app_event = httpx.post(server.url + "/api/analytics/events", timeout=10, headers=server.auth("ingest"),
                               json={"user_id": f"u-{tag}", "event": "Refused", "message_id": f"m-{tag}-app"})
        assert_overload_problem(app_event, app_event.content)
        bad_key = httpx.post(server.url + "/v1/batch", content=batch(tag, 2000), timeout=10,
                             headers={**basic("gos_ingest_unknown"), "Content-Type": "application/json"})
        assert bad_key.status_code == 401  # authentication comes before admission
        assert gate.refused == 2

        for conn, body in slow:
            conn.send(body[100:])
            response = conn.getresponse()
            assert response.status == 200 and json.loads(response.read()) == {"success": True}
            conn.close()
        assert gate.in_flight == 0
        after = httpx.post(server.url + "/v1/batch", content=batch(tag, 3000, 1), timeout=10,
                           headers={**basic(server.keys["ingest"]), "Content-Type": "application/json"})
        assert after.status_code == 200

        counts = stored_counts(server, tag)
        assert counts == {f"m-{tag}-{n}": 1 for n in [*range(200), 3000]}  # nothing of the refused requests


def test_saturated_collector_refuses_with_429_and_stores_every_acked_event_once(tmp_path):
    """16 senders against a 4-request limit and a 2,500-event backlog held full by a busy loader: refusals
    are 429 with Retry-After and a problem body; each sender retries after Retry-After until acknowledged."""
    tag = uuid.uuid4().hex[:8]
    senders, batches_each = 16, 6
    with collector_server(tmp_path, collector_max_inflight_requests=4, collector_max_queue_events=2500) as server:
        state = server.app.state.growthos
        hold = LoaderHold(server)
        acked: list[str] = []
        answers: dict[int, int] = {}
        problems: list[str] = []
        lock = threading.Lock()

        def sender(s: int) -> None:
            with httpx.Client(base_url=server.url, timeout=30,
                              headers={**basic(server.keys["ingest"]), "Content-Type": "application/json"}) as h:
                for b in range(batches_each):
                    first = (s * batches_each + b) * 100
                    for _attempt in range(60):
                        response = h.post("/v1/batch", content=batch(tag, first))
                        with lock:
                            answers[response.status_code] = answers.get(response.status_code, 0) + 1
                        if response.status_code == 200:
                            with lock:
                                acked.extend(f"m-{tag}-{first + i}" for i in range(100))
                            break
                        try:
                            retry_after = assert_overload_problem(response, response.content)
                        except (AssertionError, KeyError, ValueError) as exc:
                            with lock:
                                problems.append(f"{response.status_code} {response.headers} {response.text}: {exc}")
                            return
                        time.sleep(retry_after)

        threads = [threading.Thread(target=sender, args=(s,)) for s in range(senders)]
        for t in threads:
            t.start()
        wait_for(lambda: state.collector.stats().overloaded >= senders, "the backlog to refuse every sender once")
        assert state.collector.stats().queued_events <= 2500
        app_event = httpx.post(server.url + "/api/analytics/events", timeout=10, headers=server.auth("ingest"),
                               json={"user_id": f"u-{tag}", "event": "Refused", "message_id": f"m-{tag}-app"})
        assert_overload_problem(app_event, app_event.content)  # the app route shares the backlog bound
        hold.release()
        for t in threads:
            t.join(120)
        assert problems == []
        assert set(answers) <= {200, 429} and answers[200] == senders * batches_each
        assert answers[429] >= senders
        assert len(acked) == len(set(acked)) == senders * batches_each * 100
        counts = stored_counts(server, tag)
        assert counts == dict.fromkeys(acked, 1)  # every acknowledged event once, and nothing refused (m-…-app)


def test_the_segment_python_sdk_waits_and_retries_a_429_until_stored(tmp_path):
    from segment.analytics import Client

    tag = uuid.uuid4().hex[:8]
    with collector_server(tmp_path, collector_max_queue_events=2500) as server:
        state = server.app.state.growthos
        hold = LoaderHold(server)
        errors: list = []
        client = Client(write_key=server.keys["ingest"], host=server.url, upload_size=100, max_retries=3,
                        on_error=lambda error, items: errors.append(error))
        for n in range(3000):
            client.track(user_id=f"u-{tag}", event="Recipe Viewed", properties={"n": n}, message_id=f"m-{tag}-{n}")
        wait_for(lambda: state.collector.stats().overloaded >= 1, "the SDK to be refused")
        refused_at = state.collector.stats().overloaded
        hold.release()
        client.flush()  # returns once every message was uploaded (or given up: on_error)
        client.join()
        assert errors == []
        assert refused_at >= 1
        assert stored_counts(server, tag) == {f"m-{tag}-{n}": 1 for n in range(3000)}


@pytest.mark.parametrize("name, value", [("collector_max_inflight_requests", 0),
                                         ("collector_max_queue_bytes", 1000),
                                         ("collector_retry_after_s", 0)])
def test_back_pressure_settings_are_checked_naming_the_setting(tmp_path, name, value):
    from growthos.core.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_settings(data_dir=tmp_path, **{name: value})
    assert info.value.field == name and name in info.value.message
