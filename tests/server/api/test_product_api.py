"""/api/product/* on a real server: a small story sent through the Segment API (/v1/batch), then every
product route asked about it, compared with answers worked out by hand below. New York times, May 2024
(EDT, UTC-4); the workspace's today is 2024-05-20, so its now is 05-20 00:00 New York.

  A  anonymous a1: Signup 05-06 10:00 (plan pro); identify a1 → u1 11:00 (email ana@example.com);
     Activate 12:00; Pay card 05-08 09:00
  B  u2: Signup 05-06 09:00 (free); Activate 05-08 10:00 (49 h after Signup)
  C  u3: Signup 05-07 08:00 (pro); Activate 09:00; Cancel 10:00; Pay card 11:00; Activate 05-08 09:00
  D  u4: Signup 05-07 12:00 (free) and 12:30 (free); Activate 13:00; Pay paypal 14:00
  E  u5: Signup 05-19 20:00 (free)

Funnel Signup → Activate (within 1 day) → Pay (method card), 7 days, exclusion Cancel after step 2,
entries 05-06..05-07: C is excluded; A, B, D entered; A and D activated (gaps 7200 s and 3600 s after
D's first Signup, which is the entry); only A paid by card (gap 45 h = 162000 s). Over 05-06..05-19, E's
window is still open at now: in progress, not a drop-off.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.config import write_workspace_file
from growthos.server.problems import PROBLEM_JSON

NY = ZoneInfo("America/New_York")
FUNNEL = {
    "steps": [{"event": "Signup"}, {"event": "Activate", "within": "1d"},
              {"event": "Pay", "where": {"method": "card"}}],
    "window": "7d",
    "exclusions": [{"event": "Cancel", "after_step": 2}],
    "from": "2024-05-06", "to": "2024-05-07",
}


def at(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2024, 5, day, hour, minute, tzinfo=NY).astimezone(UTC).isoformat()


def story() -> list[dict]:
    n = 0

    def msg(kind: str, when: str, who: dict, **fields) -> dict:
        nonlocal n
        n += 1
        return {"type": kind, "timestamp": when, "messageId": f"story-{n}", **who, **fields}

    def track(event: str, when: str, who: dict, **props) -> dict:
        return msg("track", when, who, event=event, properties=props)

    a1, u1, u2, u3, u4, u5 = ({"anonymousId": "a1"}, {"userId": "u1"}, {"userId": "u2"}, {"userId": "u3"},
                              {"userId": "u4"}, {"userId": "u5"})
    return [
        track("Signup", at(6, 10), a1, plan="pro"),
        msg("identify", at(6, 11), {**a1, **u1}, traits={"email": "ana@example.com"}),
        track("Activate", at(6, 12), u1),
        track("Pay", at(8, 9), u1, method="card"),
        track("Signup", at(6, 9), u2, plan="free"),
        track("Activate", at(8, 10), u2),
        track("Signup", at(7, 8), u3, plan="pro"),
        track("Activate", at(7, 9), u3),
        track("Cancel", at(7, 10), u3),
        track("Pay", at(7, 11), u3, method="card"),
        track("Activate", at(8, 9), u3),
        track("Signup", at(7, 12), u4, plan="free"),
        track("Signup", at(7, 12, 30), u4, plan="free"),
        track("Activate", at(7, 13), u4),
        track("Pay", at(7, 14), u4, method="paypal"),
        track("Signup", at(19, 20), u5, plan="free"),
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("product-server")
    write_workspace_file(data_dir, {"as_of": datetime(2024, 5, 20).date(), "timezone": "America/New_York"})
    with empty_server(data_dir) as live:
        basic = base64.b64encode(f"{live.keys['ingest']}:".encode()).decode()
        response = httpx.post(live.url + "/v1/batch", json={"batch": story()},
                              headers={"Authorization": f"Basic {basic}"}, timeout=30)
        assert response.status_code == 200, response.text
        yield live


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.auth("read"), timeout=30) as c:
        yield c


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def invalid(response: httpx.Response, status: int = 422) -> str:
    """The name of the parameter a problem-details answer blames."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    return response.json()["invalid_params"][0]["name"]


def test_funnel_counts_people_through_steps_with_windows_filters_and_exclusions(client):
    data = ok(client.post("/api/product/funnel", json=FUNNEL))
    total = data["total"]
    assert (total["entered"], total["converted"], total["excluded"], total["in_progress"]) == (3, 1, 1, 0)
    assert [s["people"] for s in total["steps"]] == [3, 2, 1]
    assert [s["conversion_from_previous"] for s in total["steps"]] == [None, pytest.approx(2 / 3), 0.5]
    assert total["steps"][1]["median_seconds_from_previous"] == pytest.approx((7200 + 3600) / 2)
    assert total["steps"][2]["median_seconds_from_previous"] == pytest.approx(162000)
    assert data["window"] == 7 * 86400
    assert data["as_of"] == "2024-05-20T00:00:00-04:00"


def test_funnel_breakdown_and_open_windows(client):
    by_plan = ok(client.post("/api/product/funnel", json={**FUNNEL, "breakdown": "plan"}))
    groups = {g["value"]: (g["entered"], g["converted"], g["excluded"]) for g in by_plan["groups"]}
    assert groups == {"pro": (1, 1, 1), "free": (2, 0, 0)}

    wider = ok(client.post("/api/product/funnel", json={**FUNNEL, "to": "2024-05-19"}))["total"]
    assert (wider["entered"], wider["in_progress"]) == (3, 1)  # E's window is open: not a drop-off


def test_trends_by_day_with_breakdown(client):
    data = ok(client.get("/api/product/trends", params={"events": "Signup", "from": "2024-05-06",
                                                        "to": "2024-05-07", "breakdown": "plan"}))
    series = {s["value"]: [(p["bucket"], p["events"], p["people"]) for p in s["points"]] for s in data["series"]}
    assert series == {"free": [("2024-05-06", 1, 1), ("2024-05-07", 2, 1)],
                      "pro": [("2024-05-06", 1, 1), ("2024-05-07", 1, 1)]}
    two = ok(client.get("/api/product/trends", params=[("events", "Signup"), ("events", "Pay"),
                                                       ("from", "2024-05-06"), ("to", "2024-05-08")]))
    assert {s["event"]: s["total_events"] for s in two["series"]} == {"Signup": 5, "Pay": 3}


def test_active_users_count_merged_people(client):
    days = ok(client.get("/api/product/active-users", params={"from": "2024-05-06", "to": "2024-05-08"}))["days"]
    # 05-06: A (a1 and u1 are one person) and B; 05-07: C, D; 05-08: A, B, C.
    assert [(d["day"], d["dau"], d["wau"]) for d in days] == [("2024-05-06", 2, 2), ("2024-05-07", 2, 4),
                                                              ("2024-05-08", 3, 4)]


def test_retention_by_day(client):
    data = ok(client.get("/api/product/retention", params={
        "start_event": "Signup", "return_event": "Activate", "interval": "day", "periods": 2,
        "from": "2024-05-06", "to": "2024-05-07"}))
    cohorts = {c["cohort"]: (c["size"], [p["returning"] for p in c["periods"]]) for c in data["cohorts"]}
    assert cohorts == {"2024-05-06": (2, [0, 1]), "2024-05-07": (2, [1, 0])}
    assert [p["rate"] for p in data["overall"]["periods"]] == [0.25, 0.25]


def test_stickiness_by_week(client):
    week = ok(client.get("/api/product/stickiness", params={"from": "2024-05-06", "to": "2024-05-12"}))["buckets"]
    assert len(week) == 1
    # Active days: A 2 (05-06, 05-08), B 2, C 2 (05-07, 05-08), D 1: seven person-days over seven days.
    assert week[0]["active_days"] == [1, 3, 0, 0, 0, 0, 0]
    assert (week[0]["people"], week[0]["avg_daily_active"], week[0]["stickiness"]) == (4, 1.0, 0.25)


def test_feature_usage(client):
    data = ok(client.get("/api/product/features", params=[("events", "Signup"), ("events", "Pay"),
                                                          ("from", "2024-05-06"), ("to", "2024-05-07")]))
    assert data["active"] == 4
    usage = {f["feature"]: (f["users"], f["adoption"], f["event_count"]) for f in data["features"]}
    assert usage == {"Signup": (4, 1.0, 5), "Pay": (2, 0.5, 2)}
    default = ok(client.get("/api/product/features", params={"from": "2024-05-06", "to": "2024-05-07"}))
    # Without a list, each event of the range is a feature, most frequent first.
    assert [f["feature"] for f in default["features"]] == ["Signup", "Activate", "Pay", "Cancel"]
    quiet = ok(client.get("/api/product/features", params={"from": "2024-05-01", "to": "2024-05-02"}))
    assert (quiet["active"], quiet["features"]) == (None, [])  # no events: nothing measured


def test_users_and_profiles_by_any_id(client):
    found = ok(client.get("/api/product/users", params={"q": "ANA@"}))["users"]
    assert [(u["ids"], u["email"], u["events"]) for u in found] == [(["a1", "u1"], "ana@example.com", 4)]
    by_anonymous_id = ok(client.get("/api/product/users/a1"))
    assert by_anonymous_id == ok(client.get("/api/product/users/u1"))
    assert by_anonymous_id["total_events"] == 4
    assert by_anonymous_id["features_used"] == ["Activate", "Pay", "Signup"]
    assert by_anonymous_id["traits"] == {"email": "ana@example.com"}
    assert invalid(client.get("/api/product/users/nobody"), 404) == "user"


@pytest.mark.parametrize(("change", "field"), [
    ({"steps": [{"event": "Signup"}]}, "steps"),
    ({"window": "7 days"}, "window"),
    ({"window": "0d"}, "window"),
    ({"steps": [{"event": "Signup"}, {"event": "Pay", "within": "soon"}]}, "steps[1].within"),
    ({"steps": [{"event": "Signup", "within": "1h"}, {"event": "Pay"}]}, "steps[0].within"),
    ({"exclusions": [{"event": "Cancel", "after_step": 3}]}, "exclusions[0].after_step"),
    ({"breakdown": "plan; DROP TABLE events"}, "breakdown"),
    ({"from": "2024-05-08", "to": "2024-05-01"}, "from"),
    ({"from": "05/06/2024"}, "from"),
    ({"range": "5y", "from": None, "to": None}, "range"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_funnels_name_the_field(client, change, field):
    assert invalid(client.post("/api/product/funnel", json={**FUNNEL, **change})) == field


@pytest.mark.parametrize(("route", "params", "field"), [
    ("/api/product/trends", {}, "events"),
    ("/api/product/trends", {"events": "Signup", "interval": "hour"}, "interval"),
    ("/api/product/trends", {"events": "Signup", "breakdown": "a b"}, "breakdown"),
    ("/api/product/retention", {"start_event": "Signup", "return_event": "Pay", "periods": 0}, "periods"),
    ("/api/product/retention", {"return_event": "Pay"}, "start_event"),
    ("/api/product/stickiness", {"interval": "day"}, "interval"),
    ("/api/product/users", {}, "q"),
    ("/api/product/active-users", {"from": "2024-13-01", "to": "2024-05-01"}, "from"),
])
def test_bad_queries_name_the_field(client, route, params, field):
    assert invalid(client.get(route, params=params)) == field


def test_a_body_that_is_not_json_is_named(client):
    response = client.post("/api/product/funnel", content=b'{"steps": [', headers={"Content-Type": "application/json"})
    assert invalid(response) == "body"


def test_funnel_access(server, client):
    url = server.url + "/api/product/funnel"
    assert httpx.post(url, json=FUNNEL, timeout=10).status_code == 401
    assert httpx.post(url, json=FUNNEL, headers=server.auth("ingest"), timeout=10).status_code == 403
    assert httpx.post(url, json=FUNNEL, headers=server.auth("admin"), timeout=10).status_code == 200
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        assert browser.get("/login", params={"token": server.keys["read"]}).status_code in (200, 303)
        assert browser.cookies.get("growthos_session")
        assert browser.post("/api/product/funnel", json=FUNNEL).status_code == 403  # a session needs CSRF
