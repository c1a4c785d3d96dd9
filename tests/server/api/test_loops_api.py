"""/api/loops on real servers (uvicorn on 127.0.0.1).

The demo (read only): its two loops, their metrics checked against an independent SQL count on the served
warehouse and against the generator's own probabilities (sources/demo/app_sessions.py: an invite is accepted with
probability INVITE_ACCEPTED = 0.32; a generated recipe is saved with probability 0.35), executions, bottlenecks.
A fresh server: CRUD with scopes, refusals as problem details naming the field, the action ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.sources.demo.app_sessions import INVITE_ACCEPTED

RANGE = {"range": "90d"}


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.fixture(scope="module")
def reader(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, headers=live_server.auth("read"), timeout=60) as client:
        yield client


def test_the_demo_defines_the_invite_and_content_loops(reader: httpx.Client) -> None:
    loops = {lp["name"]: lp for lp in reader.get("/api/loops").raise_for_status().json()["loops"]}
    assert set(loops) >= {"invite", "content"}
    assert [s["event"] for s in loops["invite"]["steps"]] == [["Invite Sent"], ["Invite Accepted"], ["Signed Up"],
                                                               ["Meal Plan Created"]]
    assert loops["invite"]["steps"][-1]["next"] == ["invite_sent"]  # the invitee's invites close the loop
    assert loops["content"]["type"] == "content" and loops["invite"]["source"] == "yaml"


def test_invite_metrics_against_an_independent_count(reader: httpx.Client, live_server: LiveServer) -> None:
    m = reader.get("/api/loops/invite/metrics", params=RANGE).raise_for_status().json()
    tz = ZoneInfo(live_server.settings.timezone)
    start, end = (datetime.fromisoformat(m["range"][k]).replace(tzinfo=tz) for k in ("from", "to"))
    lo, hi = start, end + timedelta(days=1)
    (row,) = live_server.warehouse_rows(
        """SELECT count(DISTINCT s.message_id) AS sent,
                  count(DISTINCT CASE WHEN a.message_id IS NOT NULL THEN s.message_id END) AS accepted
           FROM events_people s LEFT JOIN events_people a
             ON a.type = 'track' AND a.event = 'Invite Accepted'
            AND a.properties ->> '$.invite_id' = s.properties ->> '$.invite_id'
            AND a."timestamp" >= s."timestamp" AND a."timestamp" <= s."timestamp" + INTERVAL 14 DAY
           WHERE s.type = 'track' AND s.event = 'Invite Sent' AND s."timestamp" >= ? AND s."timestamp" < ?""",
        [lo, hi])
    steps = {s["name"]: s for s in m["steps"]}
    assert m["starts"] == row["sent"] > 100
    assert steps["invite_accepted"]["reached"] == row["accepted"]
    # The generator accepts an invite with probability 0.32: the closed cycles' rate is within 3 standard errors.
    n = steps["invite_accepted"]["entered"]
    se = (INVITE_ACCEPTED * (1 - INVITE_ACCEPTED) / n) ** 0.5
    assert abs(steps["invite_accepted"]["conversion"] - INVITE_ACCEPTED) < 3 * se
    assert steps["signed_up"]["conversion"] == 1.0  # every invitee signs up (just before accepting)
    assert m["k_factor"] == pytest.approx(m["invites_per_user"] * m["invite_conversion"])
    assert m["invites_per_user"] == pytest.approx(m["starts"] / m["active_people"])
    assert 0 <= m["efficiency"] <= 100 and m["completions"] <= m["starts"]


def test_content_loop_save_rate_matches_the_generator(reader: httpx.Client) -> None:
    m = reader.get("/api/loops/content/metrics", params=RANGE).raise_for_status().json()
    saved = next(s for s in m["steps"] if s["name"] == "recipe_saved")
    se = (0.35 * 0.65 / saved["entered"]) ** 0.5  # Recipe Saved follows Recipe Generated with probability 0.35
    assert abs(saved["conversion"] - 0.35) < 3 * se
    assert m["k_factor"] is None and m["loop_value"] > 0


def test_bottlenecks_and_executions(reader: httpx.Client) -> None:
    b = reader.get("/api/loops/invite/bottlenecks", params=RANGE).raise_for_status().json()
    steps = [x["step"] for x in b["bottlenecks"]]
    assert "invite_accepted" in steps and b["threshold"] == 0.6
    first = b["bottlenecks"][0]
    assert first["conversion"] < 0.6 and first["recommendations"]
    page = reader.get("/api/loops/invite/executions", params={**RANGE, "limit": 5, "offset": 0}).json()
    metrics = reader.get("/api/loops/invite/metrics", params=RANGE).json()
    assert page["total"] == metrics["starts"] and len(page["executions"]) == 5
    x = page["executions"][0]
    assert x["reached"][0]["step"] == "invite_sent" and x["reached"][0]["person_id"] == x["person_id"]
    many = reader.get("/api/loops/invite/executions", params={**RANGE, "limit": 1000}).json()["executions"]
    assert len(many) == metrics["starts"] and sum(e["completed"] for e in many) == metrics["completions"]
    person = next(e for e in many if len(e["reached"]) > 1)["reached"][1]["person_id"]  # an invitee
    mine = reader.get("/api/loops/invite/executions", params={**RANGE, "person": person}).json()
    assert mine["total"] >= 1 and all(any(r["person_id"] == person for r in e["reached"])
                                      for e in mine["executions"])


def test_overview_and_bad_input(reader: httpx.Client) -> None:
    overview = reader.get("/api/loops/overview", params={"range": "30d"}).raise_for_status().json()
    assert {lp["loop"]["name"] for lp in overview["loops"]} >= {"invite", "content"}
    assert all("steps" not in lp["summary"] for lp in overview["loops"])
    body = problem(reader.get("/api/loops/invite/metrics", params={"range": "5y"}), 422)
    assert body["invalid_params"][0]["name"] == "range"
    problem(reader.get("/api/loops/nope/metrics"), 404)
    problem(reader.get("/api/loops/invite/executions", params={"limit": 0}), 422)
    assert httpx.get(f"{reader.base_url}/api/loops").status_code == 401


LOOP = {"name": "share", "type": "content", "steps": [
    {"name": "generated", "event": "Recipe Generated"},
    {"name": "saved", "event": "Recipe Saved", "match": ["recipe_id"],
     "system_action": {"webhook": "https://hooks.example.com/secret-path", "headers": {"X-Token": "t0ken"}}}],
    "triggers": [{"name": "nudge", "event": "Recipe Generated", "delay": "1h", "target_step": "saved"}]}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("loops-api")
    (data_dir / "loops.yaml").write_text("loops:\n  - {name: filed, type: product, steps: [{name: a, event: A}, "
                                         "{name: b, event: B}]}\n")
    with empty_server(data_dir) as live:
        yield live


def test_crud_with_scopes(fresh: LiveServer) -> None:
    with httpx.Client(base_url=fresh.url, timeout=30) as client:
        admin, read = fresh.auth("admin"), fresh.auth("read")
        problem(client.post("/api/loops", json=LOOP, headers=read), 403)
        created = client.post("/api/loops", json=LOOP, headers=admin)
        assert created.status_code == 201 and created.headers["location"] == "/api/loops/share"
        shown = client.get("/api/loops/share", headers=read).json()
        assert shown["source"] == "api" and shown["steps"][1]["system_action"]["webhook"] == \
            "https://hooks.example.com/…"  # the URL's path and the headers are secrets
        assert "secret-path" not in client.get("/api/loops", headers=read).text
        problem(client.post("/api/loops", json=LOOP, headers=admin), 409)
        problem(client.post("/api/loops", json={**LOOP, "name": "filed"}, headers=admin), 409)
        changed = client.put("/api/loops/share", json={**LOOP, "status": "paused"}, headers=admin).json()
        assert changed["status"] == "paused"
        # The stored webhook URL survives (it is used, only masked when shown).
        override = client.put("/api/loops/filed", json={"type": "viral", "steps": LOOP["steps"][:1] + [
            {"name": "b", "event": "B"}]}, headers=admin)
        assert override.status_code == 200 and override.json()["type"] == "viral"
        assert client.delete("/api/loops/filed", headers=admin).status_code == 204  # the file's loop is back
        assert client.get("/api/loops/filed", headers=read).json()["type"] == "product"
        problem(client.delete("/api/loops/filed", headers=admin), 409)  # only loops.yaml defines it now
        assert client.delete("/api/loops/share", headers=admin).status_code == 204
        problem(client.get("/api/loops/share", headers=read), 404)
        problem(client.put("/api/loops/share", json=LOOP, headers=admin), 404)


def test_invalid_definitions_name_the_field(fresh: LiveServer) -> None:
    admin = fresh.auth("admin")
    bad = {**LOOP, "steps": [LOOP["steps"][0], {**LOOP["steps"][1], "next": ["nowhere"]}]}
    body = problem(httpx.post(f"{fresh.url}/api/loops", json=bad, headers=admin), 422)
    assert body["invalid_params"][0]["name"] == "steps[1].next[0]"
    assert "nowhere" in body["invalid_params"][0]["reason"]
    body = problem(httpx.post(f"{fresh.url}/api/loops", json={**LOOP, "triggers": [
        {**LOOP["triggers"][0], "delay": "soon"}]}, headers=admin), 422)
    assert body["invalid_params"][0]["name"] == "triggers[0].delay"
    body = problem(httpx.put(f"{fresh.url}/api/loops/filed", json={**LOOP, "name": "other"}, headers=admin), 422)
    assert body["invalid_params"][0]["name"] == "name"


def test_actions_ledger_listing(fresh: LiveServer) -> None:
    from datetime import UTC

    from growthos.store import AppStore
    from growthos.store import loops as ledger

    with AppStore.from_settings(fresh.settings) as store:
        ledger.plan_action(store.engine, datetime(2026, 3, 2, tzinfo=UTC), action_key="filed:b:p1", loop="filed",
                           step="b", trigger="t", person_id="p1", url="https://hooks.example.com/secret-path",
                           headers={"X-Token": "t0ken"}, payload={"loop": "filed"},
                           due_at=datetime(2026, 3, 2, 1, tzinfo=UTC))
    response = httpx.get(f"{fresh.url}/api/loops/actions", params={"loop": "filed"}, headers=fresh.auth("read"))
    (action,) = response.raise_for_status().json()["actions"]
    assert (action["person_id"], action["status"], action["attempt_log"]) == ("p1", "pending", [])
    assert "secret-path" not in response.text and "t0ken" not in response.text
    problem(httpx.get(f"{fresh.url}/api/loops/actions", params={"status": "lost"}, headers=fresh.auth("read")), 422)


def test_a_workspace_without_events_has_empty_metrics(fresh: LiveServer) -> None:
    read = fresh.auth("read")
    m = httpx.get(f"{fresh.url}/api/loops/filed/metrics", headers=read).raise_for_status().json()
    assert (m["starts"], m["completions"], m["completion_rate"], m["efficiency"]) == (0, 0, None, None)
    assert [s["conversion"] for s in m["steps"]] == [None, None]
    overview = httpx.get(f"{fresh.url}/api/loops/overview", headers=read).raise_for_status().json()
    assert [lp["bottlenecks"] for lp in overview["loops"]] == [[]]
