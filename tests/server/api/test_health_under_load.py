"""/api/health through a real server on 127.0.0.1: answered from memory, so it stays fast while the collector's
loader is busy (here: held inside a maintenance task with a backlog waiting, where every warehouse reader
waits), and still truthful: the backlog is reported, a failing load turns it into 503 naming the error, and
it is ok again once loads commit."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid

import httpx
from support.server import empty_server


def _post_batch(server, tag: str, n: int) -> httpx.Response:
    body = {"batch": [{"type": "track", "event": "Viewed", "userId": f"u-{tag}", "messageId": f"m-{tag}-{i}"}
                      for i in range(n)]}
    auth = base64.b64encode(f"{server.keys['ingest']}:".encode()).decode()
    return httpx.post(server.url + "/v1/batch", content=json.dumps(body), timeout=10,
                      headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"})


def _timed_health(server) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = httpx.get(server.url + "/api/health", timeout=30)
    return response, time.perf_counter() - started


def test_health_answers_at_once_while_the_loader_is_busy_and_reports_the_backlog(tmp_path):
    tag = uuid.uuid4().hex[:8]
    with empty_server(tmp_path) as server:
        collector = server.app.state.growthos.collector
        release, entered = threading.Event(), threading.Event()

        def busy(_engine) -> None:  # as a compaction would: loads wait meanwhile
            entered.set()
            release.wait(60)

        holder = threading.Thread(target=collector.call, args=(busy,), daemon=True)
        holder.start()
        assert entered.wait(10)
        try:
            assert _post_batch(server, tag, 50).status_code == 200  # acknowledged, not loaded
            timings = []
            for _ in range(20):
                response, seconds = _timed_health(server)
                timings.append(seconds)
                assert response.status_code == 200, response.text
                body = response.json()
                assert body["status"] == "ok"
                assert body["checks"]["collector"]["queued_events"] == 50
                assert body["checks"]["collector"]["queued_bytes"] > 0
                assert body["checks"]["warehouse"] == {"status": "ok", "built": False,
                                                       "checked_s_ago": body["checks"]["warehouse"]["checked_s_ago"]}
            # A warehouse reader waits for the held loader (up to collector_submit_timeout_s = 10 s); health does not.
            assert max(timings) < 1.0, timings
        finally:
            release.set()
            holder.join(10)
        assert collector.flush(timeout=10)
        response, _ = _timed_health(server)
        assert response.json()["checks"]["collector"]["queued_events"] == 0
        assert response.json()["checks"]["collector"]["last_load_s_ago"] is not None


def test_a_failing_load_makes_health_503_naming_it_until_loads_commit_again(tmp_path):
    tag = uuid.uuid4().hex[:8]
    with empty_server(tmp_path) as server:
        collector = server.app.state.growthos.collector
        # Break the events table under the loader (on its own thread, between two loads).
        collector.call(lambda engine: engine.execute("ALTER TABLE events RENAME TO events_moved"), timeout=10)
        assert _post_batch(server, tag, 5).status_code == 200  # acknowledged: it is in the journal
        deadline = time.monotonic() + 10
        while True:
            response, _ = _timed_health(server)
            if response.status_code == 503 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["status"] == "degraded"
        for check in ("collector", "warehouse"):
            assert body["checks"][check]["status"] == "error"
            assert "loading acknowledged events" in body["checks"][check]["error"]
        assert body["checks"]["app_database"]["status"] == "ok"

        collector.call(lambda engine: engine.execute("ALTER TABLE events_moved RENAME TO events"), timeout=10)
        assert collector.flush(timeout=20)  # the retried load commits
        response, _ = _timed_health(server)
        assert response.status_code == 200 and response.json()["status"] == "ok", response.text
        rows = server.warehouse_rows("SELECT count(*) AS n FROM events WHERE message_id LIKE ?", [f"m-{tag}-%"])
        assert rows == [{"n": 5}]  # nothing acknowledged was lost while loads failed


def test_after_a_long_silence_health_shows_the_last_check_with_its_age_and_refreshes_it(tmp_path):
    with empty_server(tmp_path) as server:
        monitor = server.app.state.growthos.health
        with monitor._lock:  # as if nobody had asked for two minutes
            monitor._probe["at"] -= 120
        response, seconds = _timed_health(server)
        assert response.status_code == 200, response.text  # old, not stuck: no check was running meanwhile
        assert response.json()["checks"]["warehouse"]["checked_s_ago"] >= 120
        deadline = time.monotonic() + 10
        while _timed_health(server)[0].json()["checks"]["warehouse"]["checked_s_ago"] >= 120:
            assert time.monotonic() < deadline, "the background check did not refresh the report"
            time.sleep(0.05)
