"""The GA4 connector against the fake GA4 Data API and the fake Google OAuth server (one shared
TokenRegistry), over real HTTP on 127.0.0.1.

Expectations come from the fake's fixture rows (or the demo generator's rows), never from the connector.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fakes.ga4 import FakeGA4, make_row
from fakes.google_oauth import GA4_SCOPE, FakeGoogleOAuth
from fakes.tokens import TokenRegistry

from growthos.sources import ga4_report
from growthos.sources.connectors import REGISTRY, ConnectionConfig
from growthos.sources.ga4 import property_id, sync_ga4
from growthos.sources.http import AuthError, RetryPolicy, TerminalConnectorError, Timeouts
from growthos.sources.sync import sync_connection
from growthos.sources.sync_state import load_state
from growthos.warehouse.raw import ensure_raw_table

CLIENT = "test-client.apps.googleusercontent.com"
SECRET = "test-secret"
TODAY = date(2026, 2, 10)  # the fixture rows are 2026-02-01 .. 2026-02-03, 4 source/medium/campaign rows a day


@pytest.fixture
def registry() -> TokenRegistry:
    return TokenRegistry()


@pytest.fixture
def oauth(registry: TokenRegistry) -> Iterator[FakeGoogleOAuth]:
    fake = FakeGoogleOAuth(tokens=registry, client_id=CLIENT, client_secret=SECRET)
    with fake.serve():
        yield fake


@pytest.fixture
def ga4(registry: TokenRegistry) -> Iterator[FakeGA4]:
    fake = FakeGA4(tokens=registry)
    with fake.serve():
        yield fake


@pytest.fixture
def refresh(oauth: FakeGoogleOAuth) -> str:
    return oauth.issue((GA4_SCOPE,))[1]


def _config(ga4: FakeGA4, oauth: FakeGoogleOAuth, refresh: str, **settings: str) -> ConnectionConfig:
    values = {"property_id": "123456789", "client_id": CLIENT, "token_url": f"{oauth.base_url}/token",
              "start_date": "2026-01-30", **settings}
    return ConnectionConfig("web", "ga4", values, {"client_secret": SECRET, "refresh_token": refresh},
                            api_base_url=ga4.base_url)


def _sync(ga4, oauth, refresh, clock, warehouse, *, settings=None, **kw):
    kw.setdefault("retry", RetryPolicy(sleep=clock.advance, random=lambda: 0.5, base_delay=0.2))
    kw.setdefault("today", TODAY)
    return sync_ga4(_config(ga4, oauth, refresh, **(settings or {})), warehouse, **kw)


def _raw(warehouse) -> dict[str, list[dict[str, Any]]]:
    ensure_raw_table(warehouse)
    rows = warehouse.query(
        "SELECT entity, external_id, payload FROM raw_events WHERE source = 'ga4' ORDER BY ingest_seq"
    ).to_pylist()
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        assert row["entity"] == "traffic_daily"
        out.setdefault(row["external_id"], []).append(json.loads(row["payload"]))
    return out


def _key(row: dict[str, Any]) -> str:
    day, source, medium, campaign = (v["value"] for v in row["dimensionValues"])
    return f"{day[:4]}-{day[4:6]}-{day[6:]}|{source}|{medium}|{campaign}"


def _expected(ga4: FakeGA4, first: str = "20260130", last: str = "20260209") -> dict[str, list[dict[str, Any]]]:
    return {_key(r): [r] for r in ga4.rows if first <= r["dimensionValues"][0]["value"] <= last}


def _bodies(ga4: FakeGA4) -> list[dict[str, Any]]:
    return [r.json() for r in ga4.log.matching(r":runReport$") if r.fault is None]


def _ranges(ga4: FakeGA4) -> list[tuple[str, str, str]]:
    return [(b["dateRanges"][0]["startDate"], b["dateRanges"][0]["endDate"], b["offset"]) for b in _bodies(ga4)]


# -- full and incremental syncs ---------------------------------------------------------------------


def test_a_full_sync_stores_exactly_the_fixture_rows(ga4, oauth, refresh, clock, warehouse, registry):
    result = _sync(ga4, oauth, refresh, clock, warehouse)
    assert result.fetched == {"traffic_daily": 12} and result.inserted == {"traffic_daily": 12}
    assert (result.pages, result.retries, result.errors) == (1, 0, 0)
    assert _raw(warehouse) == _expected(ga4)
    assert _raw(warehouse)["2026-02-02|newsletter|email|weekly-recipes"] == [{
        "dimensionValues": [{"value": "20260202"}, {"value": "newsletter"}, {"value": "email"},
                            {"value": "weekly-recipes"}],
        "metricValues": [{"value": v} for v in ("410", "400", "205", "18", "9", "4", "248.22")]}]

    (request,) = ga4.log.requests
    assert request.path == "/v1beta/properties/123456789:runReport"
    token = request.headers["authorization"].removeprefix("Bearer ")
    assert registry.has_scope(token, GA4_SCOPE) and token != ga4.access_token
    body = request.json()
    assert body["dateRanges"] == [{"startDate": "2026-01-30", "endDate": "2026-02-09"}]
    assert [d["name"] for d in body["dimensions"]] == ga4_report.DIMENSIONS
    assert [m["name"] for m in body["metrics"]] == ga4_report.METRICS
    assert (body["limit"], body["offset"]) == ("10000", "0")
    state = load_state(warehouse, "web", "traffic_daily")
    assert state.cursor == "2026-02-09" and state.lookback == timedelta(days=3)


def test_a_report_is_paged_by_offset_until_the_row_count(ga4, oauth, refresh, clock, warehouse):
    result = _sync(ga4, oauth, refresh, clock, warehouse, page_size=5)
    assert [(b["limit"], b["offset"]) for b in _bodies(ga4)] == [("5", "0"), ("5", "5"), ("5", "10")]
    assert result.pages == 3 and result.fetched == {"traffic_daily": 12}
    assert _raw(warehouse) == _expected(ga4)


def test_the_demos_rows_come_back_as_the_demos_records(registry, oauth, refresh, clock, warehouse):
    from growthos.sources.demo import generate

    demo = [r for r in generate(days=14, scale=0.3) if r.source == "ga4"]
    days = sorted({r.external_id[:10] for r in demo})
    fake = FakeGA4(tokens=registry, rows=[r.payload for r in demo])
    with fake.serve():
        result = _sync(fake, oauth, refresh, clock, warehouse, settings={"start_date": days[0]}, page_size=100,
                       today=date.fromisoformat(days[-1]) + timedelta(days=1))
    assert result.fetched == {"traffic_daily": len(demo)} and len(demo) > 100
    assert _raw(warehouse) == {r.external_id: [r.payload] for r in demo}


def test_an_incremental_sync_reads_only_the_lookback_window(ga4, oauth, refresh, clock, warehouse):
    _sync(ga4, oauth, refresh, clock, warehouse, today=date(2026, 2, 3))  # stores 01-30 .. 02-02
    assert load_state(warehouse, "web", "traffic_daily").cursor == "2026-02-02"
    late = next(r for r in ga4.rows if _key(r) == "2026-02-01|google|cpc|Brand - Forkful")
    late["metricValues"][5] = {"value": "3"}  # purchases attributed late
    late["metricValues"][6] = {"value": "190.00"}
    ga4.add_row(date(2026, 2, 4), "tiktok.com", "referral", "(referral)", sessions=77, totalUsers=70)
    ga4.log.clear()

    result = _sync(ga4, oauth, refresh, clock, warehouse, today=date(2026, 2, 5))

    assert _ranges(ga4) == [("2026-01-30", "2026-02-04", "0")]  # cursor 02-02 minus 3 days, to yesterday
    assert result.fetched == {"traffic_daily": 13}
    assert result.inserted == {"traffic_daily": 6}  # 02-03 x 4, 02-04 and the late purchases of 02-01
    versions = _raw(warehouse)["2026-02-01|google|cpc|Brand - Forkful"]
    assert [v["metricValues"][6]["value"] for v in versions] == ["0.00", "190.00"]
    assert {k: v[-1:] for k, v in _raw(warehouse).items()} == _expected(ga4)
    assert load_state(warehouse, "web", "traffic_daily").cursor == "2026-02-04"


def test_an_empty_window_moves_the_cursor(ga4, oauth, refresh, clock, warehouse):
    result = _sync(ga4, oauth, refresh, clock, warehouse, settings={"start_date": "2026-01-01"},
                   today=date(2026, 1, 20))
    assert result.fetched == {"traffic_daily": 0} and _raw(warehouse) == {}
    assert load_state(warehouse, "web", "traffic_daily").cursor == "2026-01-19"


# -- faults -----------------------------------------------------------------------------------------

FAULTS = {
    "429 RESOURCE_EXHAUSTED": lambda f: f.faults.status(429),
    "429 with RetryInfo": lambda f: f.faults.status(429, body={"error": {
        "code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Too many concurrent requests.",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "4s"}]}}),
    "500": lambda f: f.faults.status(500),
    "503 html": lambda f: f.faults.status(503, body="<html>Service Unavailable</html>"),
    "read timeout": lambda f: f.faults.timeout(0.1),
    "malformed JSON": lambda f: f.faults.malformed_json(),
    "truncated body": lambda f: f.faults.truncated(),
    "connection cut mid-body": lambda f: f.faults.truncated(cut_connection=True),
    "expired token": lambda f: f.faults.expired_token(),
}


@pytest.mark.parametrize("request_number", [1, 2])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_sync_under_a_fault_stores_the_same_rows_as_a_clean_sync(ga4, oauth, refresh, clock, warehouse, fault,
                                                                   request_number):
    inject = FAULTS[fault]
    if request_number == 1:
        inject(ga4)
    else:  # the second page
        original = ga4.report

        def report(body):
            ga4.report = original
            inject(ga4)
            return original(body)

        ga4.report = report
    # A short read timeout only where the fault needs one (the fake answers late), so no clean request
    # of a busy test machine times out.
    timeouts = Timeouts(connect=1.0, read=0.05 if fault == "read timeout" else 10.0)
    result = _sync(ga4, oauth, refresh, clock, warehouse, page_size=5, timeouts=timeouts)
    assert _raw(warehouse) == _expected(ga4)
    assert result.fetched == {"traffic_daily": 12}
    if fault == "read timeout":  # a 50 ms read timeout may also catch a slow clean answer on a busy machine
        assert result.retries >= 1 and {b["offset"] for b in _bodies(ga4)} == {"0", "5", "10"}
        return
    assert [b["offset"] for b in _bodies(ga4)] == ["0", "5", "10"] and len(ga4.log) == 4
    if fault == "expired token":
        assert result.retries == 0 and len(oauth.log.matching(r"^/token$")) == 2
    else:
        assert result.retries == 1 and result.errors == 1 and len(oauth.log.matching(r"^/token$")) == 1
    if fault == "429 with RetryInfo":
        assert clock.sleeps == [4.0]


def test_the_daily_property_quota_is_terminal_and_keeps_what_was_stored(ga4, oauth, refresh, clock, warehouse):
    ga4.tokens_per_day = ga4.tokens_per_request  # one request's worth
    with pytest.raises(TerminalConnectorError, match="per day") as info:
        _sync(ga4, oauth, refresh, clock, warehouse, page_size=5)
    assert "midnight Pacific" in info.value.message and info.value.http_status == 429
    assert len(ga4.log) == 2 and clock.sleeps == []  # not retried
    assert len(_raw(warehouse)) == 5  # the first page stays; the cursor did not move
    assert load_state(warehouse, "web", "traffic_daily").cursor is None


def test_a_token_refused_twice_is_an_auth_error(ga4, oauth, refresh, clock, warehouse):
    ga4.faults.expired_token(times=2)
    with pytest.raises(AuthError, match="UNAUTHENTICATED") as info:
        _sync(ga4, oauth, refresh, clock, warehouse)
    assert info.value.http_status == 401
    assert len(ga4.log) == 2 and len(oauth.log.matching(r"^/token$")) == 2


def test_an_interrupted_sync_resumes_from_its_saved_state(ga4, oauth, refresh, clock, warehouse):
    original = ga4.report

    def report(body):
        ga4.report = original
        ga4.faults.status(403)  # the next request (the second window) is refused
        return original(body)

    ga4.report = report
    settings = {"start_date": "2026-02-01"}
    with pytest.raises(AuthError, match="403"):
        _sync(ga4, oauth, refresh, clock, warehouse, settings=settings, window_days=1, lookback=timedelta(0))
    assert _raw(warehouse) == _expected(ga4, "20260201", "20260201")
    assert load_state(warehouse, "web", "traffic_daily").cursor == "2026-02-01"

    ga4.log.clear()
    result = _sync(ga4, oauth, refresh, clock, warehouse, settings=settings, window_days=1, lookback=timedelta(0),
                   today=date(2026, 2, 4))
    assert [r[:2] for r in _ranges(ga4)] == [("2026-02-01", "2026-02-01"), ("2026-02-02", "2026-02-02"),
                                             ("2026-02-03", "2026-02-03")]
    assert result.inserted == {"traffic_daily": 8}
    assert _raw(warehouse) == _expected(ga4)


# -- test(), settings ------------------------------------------------------------------------------------


def test_the_connection_test_names_the_property(ga4, oauth, refresh):
    ga4.today = date(2026, 2, 2)
    described = REGISTRY["ga4"].test(_config(ga4, oauth, refresh))
    assert described == "GA4 property 123456789 (USD, America/New_York): 1 row yesterday"
    body = ga4.log.requests[-1].json()
    assert body["dateRanges"] == [{"startDate": "yesterday", "endDate": "yesterday"}] and body["limit"] == "1"


def test_another_property_is_refused_with_googles_message(ga4, oauth, refresh):
    with pytest.raises(AuthError, match="sufficient permissions for this property"):
        REGISTRY["ga4"].test(_config(ga4, oauth, refresh, property_id="properties/999"))
    assert len(ga4.log) == 1


def test_property_ids_are_checked():
    assert property_id("properties/123456789") == "123456789"
    with pytest.raises(TerminalConnectorError, match="G- measurement ID") as info:
        property_id("G-ABC123")
    assert info.value.field == "property_id"


def test_sync_connection_dispatches_through_the_registry(registry, oauth, refresh, warehouse):
    from growthos.sources.google_auth import utc_today

    yesterday = utc_today() - timedelta(days=1)
    fake = FakeGA4(tokens=registry, rows=[make_row(yesterday, "google", "organic", "(organic)", sessions=5)])
    with fake.serve():
        config = _config(fake, oauth, refresh, start_date=(yesterday - timedelta(days=3)).isoformat())
        result = sync_connection(config, warehouse)
    assert (result.kind, result.connection, result.fetched) == ("ga4", "web", {"traffic_daily": 1})


# -- what staging reads ------------------------------------------------------------------------------


def test_synced_rows_build_into_staging_and_the_marts(ga4, oauth, refresh, clock, warehouse, make_settings):
    from growthos.warehouse.build import run_models

    _sync(ga4, oauth, refresh, clock, warehouse)
    run_models(warehouse, make_settings())
    assert warehouse.query("SELECT count(*) AS n FROM stg_quarantine WHERE source = 'ga4'").to_pylist() == [{"n": 0}]
    traffic = warehouse.query(
        "SELECT count(*) AS n, sum(sessions) AS sessions, sum(purchases) AS purchases, "
        "sum(purchase_revenue) AS revenue FROM fact_traffic").to_pylist()[0]
    rows = ga4.rows
    assert traffic["n"] == 12
    assert traffic["sessions"] == sum(int(r["metricValues"][0]["value"]) for r in rows)
    assert traffic["purchases"] == sum(int(r["metricValues"][5]["value"]) for r in rows)
    assert Decimal(str(traffic["revenue"])) == sum(Decimal(r["metricValues"][6]["value"]) for r in rows)
    by_day = warehouse.query(
        "SELECT date, sum(sessions) AS s FROM fact_traffic GROUP BY date ORDER BY date").to_pylist()
    assert [(d["date"], d["s"]) for d in by_day] == [(date(2026, 2, 1), 1000), (date(2026, 2, 2), 1040),
                                                    (date(2026, 2, 3), 1080)]
