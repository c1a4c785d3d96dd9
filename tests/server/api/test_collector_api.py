"""The collector over HTTP on a real server: Segment's official Python SDK and hand-made Segment-style
requests (duplicates, oversized messages, missing fields, keys), counted exactly in the warehouse.

Each test uses its own ids (a fresh tag), so tests sharing the module's server do not see each other's
events."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.server.problems import PROBLEM_JSON


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("collector-server")) as live:
        yield live


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:10]


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def post(server: LiveServer, path: str, body, *, headers: dict[str, str] | None = None, key: str | None = None
         ) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **basic(key or server.keys["ingest"]), **(headers or {})}
    return httpx.post(server.url + path, content=content, headers=sent, timeout=30)


def stored(server: LiveServer, tag: str) -> list[dict]:
    return server.warehouse_rows(
        "SELECT * FROM events_people WHERE distinct_id LIKE ? OR previous_id LIKE ? ORDER BY ingest_seq",
        [f"%{tag}%", f"%{tag}%"],
    )


def track(tag: str, n: int, **fields) -> dict:
    return {"type": "track", "event": "Recipe Viewed", "userId": f"u-{tag}", "messageId": f"m-{tag}-{n}",
            "properties": {"n": n}, **fields}


def problem_field(response: httpx.Response) -> str:
    assert response.headers["content-type"] == PROBLEM_JSON, response.text
    return response.json()["invalid_params"][0]["name"]


# -- the official Segment SDK, unchanged --------------------------------------------------------------


def test_segment_python_sdk_sends_every_call_type(server, tag):
    from segment.analytics import Client

    errors = []
    client = Client(write_key=server.keys["ingest"], host=server.url, sync_mode=True, gzip=True, max_retries=1,
                    on_error=lambda error, items: errors.append(error))
    anon, user = f"anon-{tag}", f"user-{tag}"
    client.page(anonymous_id=anon, name="Recipes", properties={"path": "/recipes"})
    client.track(anonymous_id=anon, event="Recipe Viewed", properties={"recipe": "pad thai"})
    client.identify(user_id=user, anonymous_id=anon, traits={"email": f"{tag}@example.com"})
    client.track(user_id=user, event="Meal Plan Created", properties={"meals": 5})
    client.screen(user_id=user, name="Planner")
    client.group(user_id=user, group_id=f"team-{tag}", traits={"name": "Kitchen"})
    client.alias(previous_id=f"legacy-{tag}", user_id=user)
    client.flush()
    assert errors == []

    rows = stored(server, tag)
    assert [r["type"] for r in rows] == ["page", "track", "identify", "track", "screen", "group", "alias"]
    assert [r["event"] for r in rows if r["type"] == "track"] == ["Recipe Viewed", "Meal Plan Created"]
    assert {r["person_id"] for r in rows} == {user}  # the anonymous visitor, the user and the legacy id: one person
    assert json.loads(rows[0]["properties"]) == {"path": "/recipes"}
    assert json.loads(rows[2]["traits"]) == {"email": f"{tag}@example.com"}
    assert json.loads(rows[1]["context"])["library"]["name"] == "analytics-python"
    assert all(r["message_id"] for r in rows)
    assert len({r["message_id"] for r in rows}) == 7


# -- Segment-style requests ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/track", "/v1/t"])
def test_single_calls_are_stored_and_answer_success(server, tag, path):
    response = post(server, path, track(tag, 1))
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert [r["message_id"] for r in stored(server, tag)] == [f"m-{tag}-1"]


def test_duplicates_are_acknowledged_and_stored_once(server, tag):
    batch = {"batch": [track(tag, 1), track(tag, 2), track(tag, 1), track(tag, 3)]}
    assert post(server, "/v1/batch", batch).status_code == 200
    assert post(server, "/v1/batch", batch).status_code == 200  # a client retry of the whole batch
    assert post(server, "/v1/track", track(tag, 2)).status_code == 200
    rows = stored(server, tag)
    assert sorted(r["message_id"] for r in rows) == [f"m-{tag}-1", f"m-{tag}-2", f"m-{tag}-3"]
    assert json.loads(rows[0]["properties"]) == {"n": 1}  # the first occurrence wins


def test_missing_message_ids_are_assigned_and_retries_deduplicated(server, tag):
    message = {"type": "track", "event": "Saved", "anonymousId": f"a-{tag}", "timestamp": "2026-11-20T10:00:00Z"}
    for _ in range(2):
        assert post(server, "/v1/batch", {"batch": [message], "sentAt": "2026-11-20T10:00:05Z"}).status_code == 200
    rows = stored(server, tag)
    assert len(rows) == 1
    assert rows[0]["message_id"].startswith("gos-")


@pytest.mark.parametrize(("message", "field"), [
    ({"type": "track", "event": "X"}, "batch[1].userId"),
    ({"type": "track", "userId": "u"}, "batch[1].event"),
    ({"type": "track", "userId": "u", "event": "   "}, "batch[1].event"),
    ({"type": "group", "userId": "u"}, "batch[1].groupId"),
    ({"type": "alias", "userId": "u"}, "batch[1].previousId"),
    ({"type": "shout", "userId": "u"}, "batch[1].type"),
    ({"type": "track", "userId": "u", "event": "X", "properties": [1]}, "batch[1].properties"),
    ({"type": "track", "userId": "u", "event": "X", "timestamp": "yesterday"}, "batch[1].timestamp"),
])
def test_an_invalid_message_is_400_naming_the_field_and_nothing_of_the_batch_is_stored(server, tag, message, field):
    response = post(server, "/v1/batch", {"batch": [track(tag, 1), message, track(tag, 2)]})
    assert response.status_code == 400
    assert problem_field(response) == field
    assert stored(server, tag) == []


@pytest.mark.parametrize(("body", "field"), [
    (b"{not json", "body"),
    (b"[1, 2]", "body"),
    (b'{"batch": {"type": "track"}}', "batch"),
])
def test_malformed_bodies_are_400(server, body, field):
    response = post(server, "/v1/batch", body)
    assert response.status_code == 400
    assert problem_field(response) == field


def test_oversized_messages_and_batches_are_413(server, tag):
    big = "x" * (33 * 1024)
    single = post(server, "/v1/track", track(tag, 1, properties={"blob": big}))
    assert single.status_code == 413
    inside = post(server, "/v1/batch", {"batch": [track(tag, 2), track(tag, 3, properties={"blob": big})]})
    assert inside.status_code == 413
    assert problem_field(inside) == "batch[1]"
    messages = [track(tag, 10 + i, properties={"blob": "y" * 20_000}) for i in range(26)]  # ~520 KB
    whole = post(server, "/v1/batch", {"batch": messages})
    assert whole.status_code == 413
    just_under = post(server, "/v1/track", track(tag, 4, properties={"blob": "z" * (32 * 1024 - 200)}))
    assert just_under.status_code == 200
    assert [r["message_id"] for r in stored(server, tag)] == [f"m-{tag}-4"]


def test_gzip_bodies_are_accepted(server, tag):
    body = gzip.compress(json.dumps({"batch": [track(tag, i) for i in range(50)]}).encode())
    response = post(server, "/v1/batch", body, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert len(stored(server, tag)) == 50


def test_client_clock_skew_is_corrected_from_sent_at(server, tag):
    # The client's clock is 2 hours fast: it made the call 30 s before sending it.
    fast = datetime.now(UTC) + timedelta(hours=2)
    message = track(tag, 1, timestamp=(fast - timedelta(seconds=30)).isoformat(), sentAt=fast.isoformat())
    before = datetime.now(UTC)
    assert post(server, "/v1/track", message).status_code == 200
    after = datetime.now(UTC)
    row = stored(server, tag)[0]
    assert before - timedelta(seconds=30) <= row["timestamp"] <= after - timedelta(seconds=30)
    assert row["original_timestamp"] == datetime.fromisoformat(message["timestamp"])


def test_unknown_fields_are_kept(server, tag):
    message = track(tag, 1, context={"app": {"build": "412"}, "custom": {"ab": "B"}}, category="Docs",
                    experiment="new-onboarding")
    assert post(server, "/v1/track", message).status_code == 200
    row = stored(server, tag)[0]
    assert json.loads(row["extra"]) == {"category": "Docs", "experiment": "new-onboarding"}
    context = json.loads(row["context"])
    assert context["custom"] == {"ab": "B"}
    assert context["app"] == {"build": "412"}
    assert context["ip"] == "127.0.0.1"  # filled from the connection, as Segment does


# -- keys ---------------------------------------------------------------------------------------------


def test_write_key_in_the_body_works_without_a_header(server, tag):
    body = json.dumps({"batch": [track(tag, 1)], "writeKey": server.keys["ingest"]}).encode()
    response = httpx.post(server.url + "/v1/batch", content=body, timeout=30)
    assert response.status_code == 200
    assert len(stored(server, tag)) == 1


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401),
    ({"Authorization": "Basic " + base64.b64encode(b"gos_ingest_nope:").decode()}, 401),
    ({"Authorization": "Basic %%%"}, 401),
])
def test_missing_unknown_or_malformed_keys_are_401(server, tag, headers, status):
    response = httpx.post(server.url + "/v1/track", content=json.dumps(track(tag, 1)), headers=headers, timeout=30)
    assert response.status_code == status
    assert stored(server, tag) == []


@pytest.mark.parametrize("scope", ["read", "admin"])
def test_keys_that_can_read_are_refused_by_the_collector(server, tag, scope):
    response = post(server, "/v1/track", track(tag, 1), key=server.keys[scope])
    assert response.status_code == 403
    assert stored(server, tag) == []


def test_an_ingest_key_cannot_read(server):
    response = httpx.get(server.url + "/api/jobs", headers={"Authorization": f"Bearer {server.keys['ingest']}"})
    assert response.status_code == 403


# -- the app-analytics shape --------------------------------------------------------------------------


def bearer(server: LiveServer, scope: str = "ingest") -> dict[str, str]:
    return {"Authorization": f"Bearer {server.keys[scope]}"}


def test_app_events_and_conversions_are_stored_as_track_events(server, tag):
    event = {"user_id": f"u-{tag}", "session_id": f"s-{tag}", "event": "Recipe Saved", "properties": {"id": 7},
             "route": "/recipes/7", "referrer": "https://example.com/", "user_agent": "Mozilla/5.0",
             "timestamp": "2026-11-20T12:00:00Z"}
    first = httpx.post(server.url + "/api/analytics/events", json=event, headers=bearer(server), timeout=30)
    assert first.status_code == 200
    assert first.json()["duplicate"] is False
    again = httpx.post(server.url + "/api/analytics/events", json=event, headers=bearer(server), timeout=30)
    assert again.json() == {**first.json(), "duplicate": True}
    conversion = {"session_id": f"s-{tag}", "funnel": "onboarding", "step": 2}
    assert httpx.post(server.url + "/api/analytics/conversions", json=conversion, headers=bearer(server),
                      timeout=30).status_code == 200
    rows = stored(server, tag)
    assert [(r["event"], r["source"]) for r in rows] == [("Recipe Saved", "app"), ("Funnel Step Completed", "app")]
    assert json.loads(rows[0]["context"])["page"] == {"path": "/recipes/7", "referrer": "https://example.com/"}
    assert json.loads(rows[1]["properties"]) == {"funnel": "onboarding", "step": 2}
    assert {r["person_id"] for r in rows} == {f"u-{tag}"}  # the session is the user's


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/analytics/events", {"session_id": "s"}, "event"),
    ("/api/analytics/events", {"event": "X"}, "user_id"),
    ("/api/analytics/events", {"event": "X", "user_id": "u", "timestamp": "soon"}, "timestamp"),
    ("/api/analytics/conversions", {"user_id": "u", "step": 1}, "funnel"),
    ("/api/analytics/conversions", {"user_id": "u", "funnel": "f"}, "step"),
])
def test_app_events_missing_fields_are_422_naming_them(server, path, body, field):
    response = httpx.post(server.url + path, json=body, headers=bearer(server), timeout=30)
    assert response.status_code == 422
    assert problem_field(response) == field


def test_app_events_need_an_ingest_capable_key(server):
    body = {"user_id": "u", "event": "X"}
    assert httpx.post(server.url + "/api/analytics/events", json=body, timeout=30).status_code == 401
    assert httpx.post(server.url + "/api/analytics/events", json=body, headers=bearer(server, "read"),
                      timeout=30).status_code == 403


def test_recent_events_count_events_and_people_per_name(server, tag):
    now = datetime.now(UTC)
    name = f"Viewed {tag}"
    batch = [
        track(tag, 1, event=name, userId=f"u1-{tag}", timestamp=(now - timedelta(hours=1)).isoformat()),
        track(tag, 2, event=name, userId=f"u1-{tag}", timestamp=(now - timedelta(hours=2)).isoformat()),
        # an anonymous visitor who is u1 (the identify below merges them): still one person
        track(tag, 3, event=name, userId=None, anonymousId=f"a-{tag}",
              timestamp=(now - timedelta(hours=3)).isoformat()),
        {"type": "identify", "userId": f"u1-{tag}", "anonymousId": f"a-{tag}", "messageId": f"i-{tag}"},
        track(tag, 4, event=name, userId=f"u2-{tag}", timestamp=(now - timedelta(hours=5)).isoformat()),
        track(tag, 5, event=name, userId=f"u3-{tag}", timestamp=(now - timedelta(days=3)).isoformat()),
    ]
    assert post(server, "/v1/batch", {"batch": batch}).status_code == 200

    def counts(range_: str) -> dict | None:
        response = httpx.get(server.url + "/api/analytics/events", params={"range": range_},
                             headers=bearer(server, "read"), timeout=30)
        assert response.status_code == 200
        assert response.json()["range"] == range_
        return next((e for e in response.json()["events"] if e["event"] == name), None)

    assert counts("24h") == {"event": name, "count": 4, "users": 2}
    assert counts("7d") == {"event": name, "count": 5, "users": 3}


def test_recent_events_refuse_other_ranges_and_ingest_keys(server):
    bad = httpx.get(server.url + "/api/analytics/events", params={"range": "1y"}, headers=bearer(server, "read"))
    assert bad.status_code == 422
    assert problem_field(bad) == "range"
    assert httpx.get(server.url + "/api/analytics/events", headers=bearer(server)).status_code == 403
