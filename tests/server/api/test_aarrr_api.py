"""/api/aarrr/* on real servers: a small story sent through the Segment API to an empty workspace, with answers
worked out by hand, and the live demo, whose answers must agree with the product API's own funnel.

Story (New York times, May 2024, EDT; the workspace's today is 05-27, so its now is 05-27 00:00; range
05-06..05-12; the default activation definitions, weights 1 2 3 1 1 1 1 = 10, core: first meal plan in 7 days):
  u2  anonymous av2 page 05-07 09:00, identify av2 → u2 09:30, Signed Up 10:00, onboarding goals 10:05,
      Meal Plan Created 05-08 12:00, Invite Sent i1 05-09, page 05-15 (day 8: retained),
      Subscription Started 05-17 (mrr 9.99)
      → onboarding started 1 + first plan 3 + invite after the plan 1 = score 50; activated after 26 h (93600 s)
  u3  Signed Up 05-08 10:00, Meal Plan Created 11:00 → score 30, activated after 3600 s; not active again
  u4  Signed Up 05-09 10:00 → score 0
  u8  anonymous av8 page 05-09 11:00, identify, Signed Up 12:00, Invite Accepted i1 12:01 → score 0
Funnel: new people 4, signed up 4, activated 2 (2/4), retained u2 1 (1/2), referring u2 1 (1/1), paying u2 1.
Referral: active people 4, 1 invite by 1 sender, accepted: i = 1/4, c = 1, K = 0.25; referral rate 1/4 (u8).
Activation: rate 2/4; scores 50 30 0 0 → mean 20, median 15; time to activate median (3600 + 93600) / 2 = 48600.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.config import write_workspace_file
from growthos.server.problems import PROBLEM_JSON

NY = ZoneInfo("America/New_York")
RANGE = {"from": "2024-05-06", "to": "2024-05-12"}


def at(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2024, 5, day, hour, minute, tzinfo=NY).astimezone(UTC).isoformat()


def story() -> list[dict]:
    n = 0

    def msg(kind: str, when: str, who: dict, **fields) -> dict:
        nonlocal n
        n += 1
        return {"type": kind, "timestamp": when, "messageId": f"aarrr-{n}", **who, **fields}

    def track(event: str, when: str, who: dict, **props) -> dict:
        return msg("track", when, who, event=event, properties=props)

    av2, u2, u3, u4, av8, u8 = ({"anonymousId": "av2"}, {"userId": "u2"}, {"userId": "u3"}, {"userId": "u4"},
                                {"anonymousId": "av8"}, {"userId": "u8"})
    return [
        msg("page", at(7, 9), av2, name="Home"), msg("identify", at(7, 9, 30), {**av2, **u2}),
        track("Signed Up", at(7, 10), u2, platform="ios"),
        track("Onboarding Step Completed", at(7, 10, 5), u2, step=1, step_name="goals"),
        track("Meal Plan Created", at(8, 12), u2), track("Invite Sent", at(9, 12), u2, invite_id="i1"),
        msg("page", at(15, 12), u2, name="Home"),
        track("Subscription Started", at(17, 12), u2, plan="plus_monthly", mrr=9.99),
        track("Signed Up", at(8, 10), u3), track("Meal Plan Created", at(8, 11), u3),
        track("Signed Up", at(9, 10), u4),
        msg("page", at(9, 11), av8, name="You're Invited"), msg("identify", at(9, 11, 30), {**av8, **u8}),
        track("Signed Up", at(9, 12), u8), track("Invite Accepted", at(9, 12, 1), u8, invite_id="i1"),
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("aarrr-server")
    write_workspace_file(data_dir, {"as_of": date(2024, 5, 27), "timezone": "America/New_York"})
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


def test_funnel_stages_rates_referral_and_revenue(client):
    data = ok(client.get("/api/aarrr/funnel", params=RANGE))
    assert [(s["key"], s["people"]) for s in data["stages"]] == [
        ("new_people", 4), ("signed_up", 4), ("activated", 2), ("retained", 1), ("referring", 1), ("paying", 1)]
    assert [s["rate_from_parent"] for s in data["stages"]] == [None, 1.0, 0.5, 0.5, 1.0, 1.0]
    assert [s["rate_from_top"] for s in data["stages"]] == [1.0, 1.0, 0.5, 0.25, 0.25, 0.25]
    r = data["referral"]
    assert (r["active_users"], r["invites_sent"], r["invites_accepted"]) == (4, 1, 1)
    assert (r["invites_per_user"], r["acceptance_rate"], r["viral_coefficient"], r["referral_rate"]) == (
        0.25, 1.0, 0.25, 0.25)
    assert data["revenue"] == {"subscribers": 0, "subscriptions": 0, "new_mrr": 0.0, "net_revenue": None}


def test_activation_rate_scores_and_time(client):
    data = ok(client.get("/api/aarrr/activation", params=RANGE))
    assert (data["signups"], data["activated"], data["in_progress"], data["activation_rate"]) == (4, 2, 0, 0.5)
    assert (data["average_score"], data["median_score"]) == (20.0, 15.0)
    assert data["time_to_activate"]["median_seconds"] == 48600
    reach = {d["name"]: d["reached"] for d in data["definitions"]}
    assert reach == {"onboarding_started": 1, "onboarding_completed": 0, "first_meal_plan": 2, "recipe_saved": 0,
                     "three_recipes_generated": 0, "shopping_list_exported": 0, "invite_sent": 1}


def test_one_person_by_an_anonymous_id_and_unknown_ids(client):
    person = ok(client.get("/api/aarrr/activation/users/av2"))
    assert (person["score"], person["activated"], person["seconds_to_activate"]) == (50.0, True, 93600)
    missing = client.get("/api/aarrr/activation/users/nobody")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM_JSON


def test_definitions_and_bottlenecks(client):
    definitions = ok(client.get("/api/aarrr/activation/definitions"))
    assert (definitions["source"], definitions["total_weight"], len(definitions["definitions"])) == ("defaults", 10, 7)
    bottlenecks = ok(client.get("/api/aarrr/activation/bottlenecks", params=RANGE))
    assert bottlenecks["people"] == [4, 1, 0, 0, 0]  # only u2 completed goals
    assert [t["rate"] for t in bottlenecks["transitions"]] == [0.25, 0.0, None, None]
    assert bottlenecks["findings"] == [] and bottlenecks["bottleneck"] is None  # under 20 people: no verdicts


def test_bad_range_names_the_parameter(client):
    response = client.get("/api/aarrr/funnel", params={"range": "5d"})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "range"
    assert client.get("/api/aarrr/activation", params={"from": "2024-05-12", "to": "2024-05-06"}).status_code == 422


def test_needs_a_read_key(server):
    assert httpx.get(server.url + "/api/aarrr/funnel", timeout=30).status_code == 401


def test_demo_agrees_with_the_product_funnel(live_server):
    with httpx.Client(base_url=live_server.url, headers=live_server.auth("read"), timeout=60) as c:
        params = {"range": "30d"}
        funnel = ok(c.get("/api/aarrr/funnel", params=params))
        activation = ok(c.get("/api/aarrr/activation", params=params))
        bottlenecks = ok(c.get("/api/aarrr/activation/bottlenecks", params=params))
        steps = [{"event": "Signed Up"}] + [{"event": "Onboarding Step Completed", "where": {"step_name": s}}
                                            for s in bottlenecks["steps"][1:]]
        product = ok(c.post("/api/product/funnel", json={"steps": steps, "window": "7d", "range": "30d"}))
    stages = {s["key"]: s["people"] for s in funnel["stages"]}
    assert stages["signed_up"] == activation["signups"] and stages["activated"] == activation["activated"]
    people = [s["people"] for s in funnel["stages"]]
    assert people[:4] == sorted(people[:4], reverse=True) and max(people[4:]) <= people[3]
    assert bottlenecks["people"] == [s["people"] for s in product["total"]["steps"]]
    assert 0 < activation["activation_rate"] < 1 and funnel["revenue"]["net_revenue"] > 0


def test_an_empty_workspace_answers_zeros(tmp_path):
    with empty_server(tmp_path / "empty") as live, httpx.Client(base_url=live.url, headers=live.auth("read"),
                                                                timeout=30) as c:
        funnel = ok(c.get("/api/aarrr/funnel", params={"range": "7d"}))
        assert [s["people"] for s in funnel["stages"]] == [0] * 6
        activation = ok(c.get("/api/aarrr/activation", params={"range": "7d"}))
        assert (activation["signups"], activation["activation_rate"]) == (0, None)
        bottlenecks = ok(c.get("/api/aarrr/activation/bottlenecks", params={"range": "7d"}))
        assert bottlenecks["bottleneck"] is None and bottlenecks["people"] == [0] * 5
