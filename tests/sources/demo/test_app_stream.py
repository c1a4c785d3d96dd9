"""The recipe app's Segment stream: deterministic, accepted by the collector within Segment's limits, a story
whose invariants hold, planted facts that are visible — all checked from the generated messages alone —
and ``send_batches`` against a local mock transport."""

from __future__ import annotations

import base64
import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from growthos.core.errors import InvalidInput, RetryableError, TerminalError
from growthos.sources.collector import CollectorOptions, EventWriter, count_people, parse_segment
from growthos.sources.demo import DEMO_DAYS, DEMO_END_DATE
from growthos.sources.demo.app_anomalies import APP_ANOMALIES, app_anomalies_as_dicts, app_anomalies_for
from growthos.sources.demo.app_messages import MESSAGE_BYTES_BOUND
from growthos.sources.demo.app_stream import recipe_app_batches, retry_after_seconds, send_batches
from growthos.warehouse.duckdb_engine import DuckDBEngine

NY = ZoneInfo("America/New_York")
START = DEMO_END_DATE - timedelta(days=DEMO_DAYS - 1)
Message = dict[str, Any]


@lru_cache(maxsize=2)
def bodies(seed: int = 42) -> tuple[dict[str, Any], ...]:
    began = time.perf_counter()
    out = tuple(recipe_app_batches(seed=seed, start=START, end=DEMO_END_DATE))
    print(f"\nrecipe_app_batches(seed={seed}, 180 days, scale 1): {len(out)} bodies in "
          f"{time.perf_counter() - began:.2f} s")
    return out


@lru_cache(maxsize=2)
def messages(seed: int = 42) -> tuple[Message, ...]:
    return tuple(m for body in bodies(seed) for m in body["batch"])


def when(message: Message) -> datetime:
    return datetime.fromisoformat(message["timestamp"].replace("Z", "+00:00"))


def ny_day(message: Message) -> date:
    return when(message).astimezone(NY).date()


def tracks(msgs: Iterable[Message], event: str) -> list[Message]:
    return [m for m in msgs if m["type"] == "track" and m["event"] == event]


def people_by_union_find(msgs: Iterable[Message]) -> int:
    """Distinct people: ids linked by a message carrying both userId and anonymousId, or by alias."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for m in msgs:
        ids = [m.get(k) for k in ("userId", "anonymousId", "previousId") if m.get(k)]
        for id_ in ids:
            parent.setdefault(id_, id_)
        pair = (m["previousId"], m["userId"]) if m["type"] == "alias" else (m.get("anonymousId"), m.get("userId"))
        if pair[0] and pair[1]:
            parent[find(pair[0])] = find(pair[1])
    return len({find(x) for x in parent})


def small_run(seed: int = 7, **kwargs: Any) -> list[dict[str, Any]]:
    return list(recipe_app_batches(seed=seed, start=date(2025, 9, 1), end=date(2025, 10, 15), scale=0.2, **kwargs))


# -- determinism and shapes --------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_bodies_and_another_seed_differs() -> None:
    first = json.dumps(small_run(seed=7)).encode()
    again = json.dumps(small_run(seed=7)).encode()
    other = json.dumps(small_run(seed=8)).encode()
    assert first == again
    assert first != other
    ids_7 = {m["messageId"] for b in small_run(seed=7) for m in b["batch"]}
    ids_8 = {m["messageId"] for b in small_run(seed=8) for m in b["batch"]}
    assert not ids_7 & ids_8


def test_every_body_is_accepted_by_the_collector_within_segment_limits() -> None:
    total = 0
    for body in bodies():
        assert len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()) <= 500 * 1024
        for m in body["batch"]:
            # the bound the batcher relies on when it does not measure (and far below Segment's 32 KB)
            assert len(json.dumps(m, ensure_ascii=False, separators=(",", ":")).encode()) <= MESSAGE_BYTES_BOUND
        received = datetime.fromisoformat(body["sentAt"].replace("Z", "+00:00"))
        parsed = parse_segment("batch", body, received_at=received)
        assert len(parsed.events) == len(body["batch"]) <= 100
        # received exactly at sentAt: the skew correction leaves every timestamp as the client wrote it
        assert [e.timestamp for e in parsed.events] == [when(m) for m in body["batch"]]
        total += len(parsed.events)
    assert total == len(messages())


def test_messages_have_the_sdk_fields_and_unique_ids() -> None:
    msgs = messages()
    assert len({m["messageId"] for m in msgs}) == len(msgs)
    for m in msgs:
        assert m["type"] in ("track", "identify", "page", "screen", "alias")
        assert m.get("anonymousId") or m.get("userId")
        ctx = m["context"]
        assert {"library", "userAgent", "locale", "timezone"} <= ctx.keys()
        if ctx["library"]["name"] == "analytics.js":
            assert m["messageId"].startswith("ajs-next-") and "page" in ctx
        else:
            assert {"app", "device", "os"} <= ctx.keys()
        if m["type"] == "track":
            assert isinstance(m["properties"], dict)


def test_messages_and_bodies_are_in_time_order() -> None:
    previous = datetime.min.replace(tzinfo=UTC)
    for body in bodies():
        for m in body["batch"]:
            assert when(m) >= previous
            previous = when(m)
        assert datetime.fromisoformat(body["sentAt"].replace("Z", "+00:00")) >= previous
    assert ny_day(messages()[0]) >= START and ny_day(messages()[-1]) <= DEMO_END_DATE


def test_volumes_at_scale_one_are_in_the_promised_range() -> None:
    assert 100_000 <= len(messages()) <= 200_000
    assert 1_500 <= people_by_union_find(messages()) <= 3_000


def test_without_sent_at_the_bodies_carry_no_sent_at_and_the_same_messages() -> None:
    with_it, without = small_run(), small_run(with_sent_at=False)
    assert all("sentAt" not in b for b in without)
    assert [b["batch"] for b in with_it] == [b["batch"] for b in without]


def test_batch_size_splits_the_same_messages() -> None:
    by_100, by_7 = small_run(), small_run(batch_size=7)
    assert all(len(b["batch"]) <= 7 for b in by_7)
    assert [m for b in by_100 for m in b["batch"]] == [m for b in by_7 for m in b["batch"]]


def test_large_batch_sizes_are_cut_at_segments_500_kb() -> None:
    by_100, by_2500 = small_run(), small_run(batch_size=2500)
    sizes = [len(json.dumps(b, ensure_ascii=False, separators=(",", ":")).encode()) for b in by_2500]
    total = sum(len(b["batch"]) for b in by_2500)
    assert total > 1000 and len(by_2500) >= 2  # more than 500 KB of messages in all
    assert max(sizes) <= 500 * 1024 and min(sizes[:-1]) > 400 * 1024
    assert [m for b in by_100 for m in b["batch"]] == [m for b in by_2500 for m in b["batch"]]
    for body in by_2500:
        parse_segment("batch", body, received_at=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(("kwargs", "field"), [({"scale": 0}, "scale"), ({"batch_size": 0}, "batch_size"),
                                               ({"batch_size": 2501}, "batch_size"),
                                               ({"end": date(2025, 8, 31)}, "end")])
def test_bad_arguments_are_refused_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"seed": 1, "start": date(2025, 9, 1), "end": date(2025, 9, 30), **kwargs}
    with pytest.raises(InvalidInput) as err:
        recipe_app_batches(**args)
    assert err.value.field == field


# -- the story's invariants --------------------------------------------------------------------------


def test_nobody_activates_or_onboards_before_signing_up() -> None:
    msgs = messages()
    signed_up = {m["userId"]: when(m) for m in tracks(msgs, "Signed Up")}
    assert len(signed_up) == len(tracks(msgs, "Signed Up"))  # one Signed Up per user
    for event in ("Meal Plan Created", "Onboarding Step Completed", "Subscription Started", "Invite Sent"):
        for m in tracks(msgs, event):
            assert m["userId"] in signed_up and when(m) > signed_up[m["userId"]], event
    steps: dict[str, list[int]] = defaultdict(list)
    for m in tracks(msgs, "Onboarding Step Completed"):
        steps[m["userId"]].append(m["properties"]["step"])
    assert all(s == list(range(1, len(s) + 1)) for s in steps.values())


def test_every_invite_accepted_follows_an_invite_sent_by_its_inviter() -> None:
    msgs = messages()
    sent = {(m["userId"], m["properties"]["invite_id"]): when(m) for m in tracks(msgs, "Invite Sent")}
    accepted = tracks(msgs, "Invite Accepted")
    assert len(accepted) > 50
    signed_up = {m["userId"]: m for m in tracks(msgs, "Signed Up")}
    for m in accepted:
        key = (m["properties"]["inviter_id"], m["properties"]["invite_id"])
        assert key in sent and sent[key] < when(m)
        assert m["userId"] != key[0]
        assert signed_up[m["userId"]]["properties"]["signup_source"] == "invite"


def test_every_signed_up_user_is_identified_with_traits() -> None:
    msgs = messages()
    identified = {m["userId"]: m for m in reversed(msgs) if m["type"] == "identify" and m.get("anonymousId")
                  and "email" in m.get("traits", {})}
    for m in tracks(msgs, "Signed Up"):
        first = identified[m["userId"]]
        assert first["anonymousId"] == m["anonymousId"]
        assert {"email", "name", "plan", "signup_source"} <= first["traits"].keys()


def test_some_people_use_two_devices_and_a_few_are_aliased() -> None:
    msgs = messages()
    anonymous_ids: dict[str, set[str]] = defaultdict(set)
    for m in msgs:
        if m.get("userId") and m.get("anonymousId"):
            anonymous_ids[m["userId"]].add(m["anonymousId"])
    two = sum(1 for ids in anonymous_ids.values() if len(ids) == 2)
    aliases = [m for m in msgs if m["type"] == "alias"]
    assert 50 <= two and 5 <= len(aliases) < two
    assert all(len(ids) <= 2 for ids in anonymous_ids.values())


def test_subscriptions_carry_plan_and_mrr_and_cancellations_follow_a_start() -> None:
    msgs = messages()
    started = {m["userId"]: when(m) for m in tracks(msgs, "Subscription Started")}
    assert all(m["properties"]["mrr"] in (9.99, 6.67) for m in tracks(msgs, "Subscription Started"))
    cancelled = tracks(msgs, "Subscription Cancelled")
    assert cancelled and all(started[m["userId"]] < when(m) for m in cancelled)


def test_weekly_retention_falls_then_flattens() -> None:
    msgs = messages()
    signup = {m["userId"]: ny_day(m) for m in tracks(msgs, "Signed Up")}
    weeks: dict[str, set[int]] = defaultdict(set)
    for m in msgs:
        user = m.get("userId")
        if user in signup and m["type"] in ("track", "page", "screen"):
            weeks[user].add((ny_day(m) - signup[user]).days // 7)

    def retention(week: int) -> float:
        eligible = [u for u, d in signup.items() if (DEMO_END_DATE - d).days >= 7 * week + 6]
        return sum(1 for u in eligible if week in weeks[u]) / len(eligible)

    r1, r4, r8, r12 = (retention(w) for w in (1, 4, 8, 12))
    assert r1 > r4 > r12 > 0.05
    assert r1 - r4 > 2 * abs(r8 - r12)  # steep first, flat later


def test_sundays_are_busier_than_fridays() -> None:
    by_weekday = Counter(ny_day(m).weekday() for m in messages())
    assert by_weekday[6] > 1.2 * by_weekday[4]


def test_arrivals_grow_over_the_range() -> None:
    first_seen: dict[str, date] = {}
    for m in messages():
        first_seen.setdefault(m["anonymousId"], ny_day(m))
    per_month = Counter(d.replace(day=1) for d in first_seen.values())
    assert per_month[date(2026, 1, 1)] > 1.4 * per_month[date(2025, 9, 1)]


# -- planted facts -----------------------------------------------------------------------------------


def test_the_planted_facts_follow_the_range() -> None:
    assert app_anomalies_for(START, DEMO_END_DATE) == APP_ANOMALIES
    moved = app_anomalies_for(START + timedelta(days=7), DEMO_END_DATE + timedelta(days=7))
    assert [a.start for a in moved] == [a.start + timedelta(days=7) for a in APP_ANOMALIES]
    assert app_anomalies_for(date(2025, 11, 1), DEMO_END_DATE)[0].kind == "invite_campaign_week"  # too early
    assert app_anomalies_as_dicts(START, DEMO_END_DATE)[0]["start"] == "2025-11-18"


def _step3_rate(msgs: tuple[Message, ...], os_name: str, first: date, last: date) -> tuple[int, int]:
    """(reached step 3, reached step 2) among users of ``os_name`` whose step 2 fell on first..last."""
    step2: dict[str, date] = {}
    step3: set[str] = set()
    for m in tracks(msgs, "Onboarding Step Completed"):
        if m["context"].get("os", {}).get("name", "web") != os_name:
            continue
        if m["properties"]["step"] == 2:
            step2[m["userId"]] = ny_day(m)
        elif m["properties"]["step"] == 3:
            step3.add(m["userId"])
    reached = [u for u, d in step2.items() if first <= d <= last]
    return sum(1 for u in reached if u in step3), len(reached)


def test_the_android_release_breaks_onboarding_step_3_for_five_days() -> None:
    msgs = messages()
    broken = next(a for a in APP_ANOMALIES if a.kind == "android_onboarding_step3_broken")
    during = _step3_rate(msgs, "Android", broken.start, broken.end)
    before = _step3_rate(msgs, "Android", broken.start - timedelta(days=21), broken.start - timedelta(days=1))
    after = _step3_rate(msgs, "Android", broken.end + timedelta(days=1), broken.end + timedelta(days=21))
    ios = _step3_rate(msgs, "iOS", broken.start, broken.end)
    assert during[1] >= 5 and before[1] >= 15 and after[1] >= 15
    around = (before[0] + after[0]) / (before[1] + after[1])
    assert during[0] / during[1] < 0.35 < 0.75 < around
    assert ios[0] / ios[1] > 0.7
    versions = {ny_day(m): m["context"]["app"]["version"] for m in msgs if m["context"].get("os", {}).get("name")
                == "Android"}
    assert versions[broken.start].endswith(".0") and versions[broken.end + timedelta(days=1)].endswith(".1")
    assert versions[broken.start] != versions[broken.start - timedelta(days=1)]


def test_the_invite_campaign_week_lifts_invites_per_active_user() -> None:
    msgs = messages()
    campaign = next(a for a in APP_ANOMALIES if a.kind == "invite_campaign_week")
    invites: Counter[int] = Counter()
    active: dict[int, set[str]] = defaultdict(set)
    for m in msgs:
        week = (ny_day(m) - campaign.start).days // 7
        if m.get("userId"):
            active[week].add(m["userId"])
        if m["type"] == "track" and m["event"] == "Invite Sent":
            invites[week] += 1
    rate = {w: invites[w] / len(active[w]) for w in range(-3, 2)}
    assert rate[0] > 2.2 * statistics.median([rate[-3], rate[-2], rate[-1], rate[1]])


# -- end to end through the collector ------------------------------------------------------------------


def test_all_batches_stored_by_the_event_writer_give_the_people_the_generator_created(tmp_path: Path) -> None:
    batches = list(recipe_app_batches(seed=11, start=date(2025, 9, 1), end=date(2025, 10, 30), scale=0.5))
    msgs = [m for b in batches for m in b["batch"]]
    engine = DuckDBEngine(tmp_path / "warehouse.duckdb", memory_limit="512MB")
    try:
        with EventWriter(engine, CollectorOptions(), journal_dir=tmp_path / "journal") as writer:
            for body in batches:
                received = datetime.fromisoformat(body["sentAt"].replace("Z", "+00:00"))
                result = writer.submit(parse_segment("batch", body, received_at=received).events)
                assert result.duplicates == 0
        reader = engine.reader()
        try:
            assert count_people(reader) == people_by_union_find(msgs)
            stored = reader.query("SELECT count(*) AS n FROM events WHERE event = 'Signed Up'").column("n")[0]
            assert stored.as_py() == len(tracks(msgs, "Signed Up"))
            assert reader.query("SELECT count(*) AS n FROM events").column("n")[0].as_py() == len(msgs)
        finally:
            reader.close()
    finally:
        engine.close()
    assert people_by_union_find(msgs) < len({m["anonymousId"] for m in msgs})  # some devices were merged


# -- send_batches --------------------------------------------------------------------------------------


class Collector:
    """A mock /v1/batch: answers from a script of status codes (then 200), records what it got."""

    def __init__(self, script: list[int | Exception], retry_after: str | None = None) -> None:
        self.script = list(script)
        self.retry_after = retry_after
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if self.script else 200
        if isinstance(step, Exception):
            raise step
        headers = {"Retry-After": self.retry_after} if self.retry_after and step != 200 else {}
        if step == 200:
            return httpx.Response(200, json={"success": True})
        return httpx.Response(step, json={"title": "nope", "detail": "batch[0].event is missing"}, headers=headers)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self), base_url="http://collector.test")


def _bodies(*sizes: int) -> list[dict[str, Any]]:
    return [{"batch": [{"type": "track", "event": "E", "userId": f"u{i}", "messageId": f"m{n}-{i}"}
                       for i in range(size)], "sentAt": "2026-01-01T00:00:00.000Z"} for n, size in enumerate(sizes)]


def test_send_batches_posts_every_body_with_basic_auth_and_counts_messages() -> None:
    collector, sleeps = Collector([]), []
    with collector.client() as client:
        assert send_batches(client, _bodies(3, 2), write_key="wk_demo", sleep=sleeps.append) == 5
    assert [r.url.path for r in collector.requests] == ["/v1/batch", "/v1/batch"]
    assert collector.requests[0].headers["authorization"] == "Basic " + base64.b64encode(b"wk_demo:").decode()
    assert json.loads(collector.requests[1].content) == _bodies(3, 2)[1]
    assert sleeps == []


def test_send_batches_retries_503_with_backoff_and_429_with_retry_after() -> None:
    collector, sleeps = Collector([503, 503, 200, 429]), []
    with collector.client() as client:
        assert send_batches(client, _bodies(4, 1), write_key="k", sleep=sleeps.append, backoff_s=0.5) == 5
    assert len(collector.requests) == 5 and sleeps == [0.5, 1.0, 0.5]
    honoured = Collector([503, 429], retry_after="7")
    sleeps = []
    with honoured.client() as client:
        assert send_batches(client, _bodies(2), write_key="k", sleep=sleeps.append) == 2
    assert sleeps == [7.0, 7.0]


def test_send_batches_retries_transport_errors() -> None:
    collector, sleeps = Collector([httpx.ConnectError("refused")]), []
    with collector.client() as client:
        assert send_batches(client, _bodies(2), write_key="k", sleep=sleeps.append) == 2
    assert len(collector.requests) == 2 and sleeps == [0.5]


def test_send_batches_gives_up_after_the_attempt_limit() -> None:
    collector, sleeps = Collector([200] + [503] * 10), []
    with collector.client() as client, pytest.raises(RetryableError) as err:
        send_batches(client, _bodies(3, 2, 2), write_key="k", max_attempts=3, sleep=sleeps.append)
    assert len(collector.requests) == 4 and sleeps == [0.5, 1.0]
    assert "body 1" in err.value.message and "3 attempts" in err.value.message
    assert "3 messages were acknowledged" in err.value.message


def test_send_batches_stops_at_a_400_without_retrying() -> None:
    collector, sleeps = Collector([200, 400]), []
    with collector.client() as client, pytest.raises(TerminalError) as err:
        send_batches(client, _bodies(3, 2, 2), write_key="k", sleep=sleeps.append)
    assert len(collector.requests) == 2 and sleeps == []
    assert "HTTP 400" in err.value.message and "batch[0].event is missing" in err.value.message


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
