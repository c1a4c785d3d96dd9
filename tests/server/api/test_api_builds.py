"""POST /api/builds on the real server: an admin starts a build, a second one conflicts while it runs, the
job run appears in /api/jobs, and build_finished arrives on the event stream."""

from __future__ import annotations

import json
import time

import httpx

from growthos.server.problems import PROBLEM_JSON

DEADLINE_S = 60


def _newest_build(api: httpx.Client, read: dict[str, str]) -> dict | None:
    jobs = api.get("/api/jobs", params={"kind": "build", "limit": 1}, headers=read).json()["jobs"]
    return jobs[0] if jobs else None


def _next_event(lines, deadline: float) -> tuple[str, dict]:
    """The next named event on the stream (comments and keep-alives skipped)."""
    event = None
    for line in lines:
        if time.monotonic() > deadline:
            break
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event:
            return event, json.loads(line.removeprefix("data: "))
    raise AssertionError("no event arrived on /api/stream in time")


def test_admin_build_runs_and_announces_itself(api, live_server):
    read, admin = live_server.auth("read"), live_server.auth("admin")
    before = _newest_build(api, read)
    summary_before = api.get("/api/metrics/summary", headers=read).json()
    timeout = httpx.Timeout(10, read=20)  # keep-alive comments come every 15 s

    with api.stream("GET", "/api/stream", headers=read, timeout=timeout) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == ": connected"  # subscribed: events from here on reach this client

        started = api.post("/api/builds", headers=admin)
        assert started.status_code == 202
        assert started.json() == {"status": "started"}
        # The demo build takes about a second, so a second request finds the first one running.
        again = api.post("/api/builds", headers=admin)
        assert again.status_code == 409
        assert again.headers["content-type"] == PROBLEM_JSON
        assert again.json()["title"] == "Conflict"

        deadline = time.monotonic() + DEADLINE_S
        while True:
            job = _newest_build(api, read)
            if job and (before is None or job["id"] > before["id"]) and job["status"] != "running":
                break
            assert time.monotonic() < deadline, "the build did not finish in time"
            time.sleep(0.1)
        assert job["status"] == "succeeded", job
        assert job["ended_at"] and job["duration_s"] > 0

        event, data = _next_event(lines, deadline)
        assert event == "build_finished"
        assert data["job_id"] == job["id"]
        assert data["duration_s"] > 0
        assert data["failed_checks"] == []

    checks = api.get("/api/checks", headers=read).json()["checks"]
    assert {c["job_id"] for c in checks} == {job["id"]}
    # The demo is deterministic: rebuilding it changes no number.
    assert api.get("/api/metrics/summary", headers=read).json() == summary_before
