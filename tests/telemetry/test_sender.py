"""The batching sender: batches by size and by time, retries 429/5xx with backoff (Retry-After honoured), drops a
batch the server refuses, bounds its buffer — and end to end against a real GrowthOS server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.telemetry.sender import BatchSender


class Server:
    """An httpx transport answering from a script of status codes (then 200), recording every post."""

    def __init__(self, script: list[tuple[int, dict[str, str]]] | None = None) -> None:
        self.script = list(script or [])
        self.posts: list[dict] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.posts.append({"url": str(request.url), "auth": request.headers.get("authorization"),
                               "records": json.loads(request.content)["records"]})
            status, headers = self.script.pop(0) if self.script else (200, {})
        return httpx.Response(status, headers=headers, json={"stored": 0})


def sender(server: Server, **options) -> BatchSender:
    sleeps: list[float] = []
    s = BatchSender("http://growthos.test/", "gos_ingest_k", "ai-performance",
                    client=httpx.Client(transport=httpx.MockTransport(server)), sleep=sleeps.append, **options)
    s.sleeps = sleeps  # type: ignore[attr-defined]
    return s


def test_batches_by_size_and_on_flush() -> None:
    server = Server()
    s = sender(server, batch_size=3, flush_interval_s=60)
    for i in range(7):
        s.record({"n": i})
    assert s.flush(5)
    assert [len(p["records"]) for p in server.posts] == [3, 3, 1]
    assert [r["n"] for p in server.posts for r in p["records"]] == list(range(7))
    assert server.posts[0]["url"] == "http://growthos.test/api/analytics/ai-performance"
    assert server.posts[0]["auth"] == "Bearer gos_ingest_k"
    assert s.stats.sent == 7 and s.stats.dropped == 0
    s.close()


def test_time_flushes_a_small_batch() -> None:
    server = Server()
    s = sender(server, batch_size=100, flush_interval_s=0.05)
    s.record({"n": 1})
    for _ in range(100):
        if server.posts:
            break
        threading.Event().wait(0.02)
    assert [p["records"] for p in server.posts] == [[{"n": 1}]]
    s.close()


def test_retries_honour_retry_after_then_succeed() -> None:
    server = Server([(503, {"Retry-After": "2"}), (429, {}), (500, {})])
    s = sender(server, max_attempts=5, backoff_s=0.5)
    s.record({"n": 1})
    assert s.flush(5)
    assert len(server.posts) == 4 and s.stats.sent == 1 and s.stats.failed_posts == 3
    assert s.sleeps[0] == 2.0  # Retry-After
    assert 0 <= s.sleeps[1] <= 1.0 and 0 <= s.sleeps[2] <= 2.0  # full jitter under 0.5 × 2^(n-1)
    s.close()


def test_gives_up_after_max_attempts_and_on_a_refused_batch() -> None:
    server = Server([(503, {})] * 3 + [(422, {})])
    s = sender(server, max_attempts=3, batch_size=1)
    s.record({"n": 1})
    assert s.flush(5)
    s.record({"n": 2})
    assert s.flush(5)
    assert len(server.posts) == 4  # three tries of the first; the second refused once, never retried
    assert s.stats.sent == 0 and s.stats.dropped == 2 and "422" in s.stats.last_error
    s.close()


def test_a_full_buffer_drops_the_oldest() -> None:
    server = Server()
    s = sender(server, max_buffer=3, batch_size=1000, flush_interval_s=60)
    for i in range(5):
        s.record({"n": i})
    assert s.stats.dropped == 2
    s.close()
    assert [r["n"] for p in server.posts for r in p["records"]] == [2, 3, 4]
    s.record({"n": 9})  # after close: counted as dropped, never raises
    assert s.stats.dropped == 3


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("sender-server")) as server:
        yield server


def test_end_to_end_into_the_warehouse(live) -> None:
    s = BatchSender(live.url, live.keys["ingest"], "database-performance", batch_size=50)
    for i in range(120):
        s.record({"fingerprint": "SELECT * FROM sender_test WHERE id = ?", "duration_ms": float(i)})
    s.close()
    assert s.stats.sent == 120 and s.stats.dropped == 0
    rows = live.warehouse_rows("SELECT count(*) AS n, sum(duration_ms) AS total FROM telemetry_db_queries "
                               "WHERE fingerprint = 'SELECT * FROM sender_test WHERE id = ?'", [])
    assert rows == [{"n": 120, "total": sum(range(120))}]
