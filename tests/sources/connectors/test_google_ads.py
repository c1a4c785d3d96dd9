"""The Google Ads connector against the fake Google Ads API and the fake Google OAuth server (one shared
TokenRegistry), over real HTTP on 127.0.0.1.

Expectations come from the fake's fixture rows (or the demo generator's rows), never from the connector:
a full sync stores exactly those rows; an incremental one asks only for the lookback window; faults and
interruptions end with the same raw layer as a clean run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fakes.google_ads import FakeGoogleAds, make_row
from fakes.google_oauth import ADS_SCOPE, FakeGoogleOAuth
from fakes.shopify import ManualClock
from fakes.tokens import TokenRegistry

from growthos.sources.connectors import REGISTRY, ConnectionConfig
from growthos.sources.google_ads import campaign_daily_query, customer_id, sync_google_ads
from growthos.sources.google_auth import GoogleTokenProvider
from growthos.sources.http import AuthError, RetryPolicy, TerminalConnectorError, Timeouts
from growthos.sources.sync import sync_connection
from growthos.sources.sync_state import load_state
from growthos.warehouse.raw import ensure_raw_table

CLIENT = "test-client.apps.googleusercontent.com"
SECRET = "test-secret"
DEV_TOKEN = "dev-token-abc"
TODAY = date(2026, 2, 10)  # the fake's fixture rows are 2026-02-01 .. 2026-02-05, 3 campaigns a day


@pytest.fixture
def registry() -> TokenRegistry:
    return TokenRegistry()


@pytest.fixture
def oauth(registry: TokenRegistry) -> Iterator[FakeGoogleOAuth]:
    fake = FakeGoogleOAuth(tokens=registry, client_id=CLIENT, client_secret=SECRET)
    with fake.serve():
        yield fake


@pytest.fixture
def ads(registry: TokenRegistry) -> Iterator[FakeGoogleAds]:
    fake = FakeGoogleAds(developer_token=DEV_TOKEN, tokens=registry, batch_size=4)
    with fake.serve():
        yield fake


@pytest.fixture
def refresh(oauth: FakeGoogleOAuth) -> str:
    return oauth.issue((ADS_SCOPE,))[1]


def _config(ads: FakeGoogleAds, oauth: FakeGoogleOAuth, refresh: str, **settings: str) -> ConnectionConfig:
    values = {"customer_id": "123-456-7890", "client_id": CLIENT, "token_url": f"{oauth.base_url}/token",
              "start_date": "2026-01-25", **settings}
    return ConnectionConfig("ads", "google_ads", values,
                            {"developer_token": DEV_TOKEN, "client_secret": SECRET, "refresh_token": refresh},
                            api_base_url=ads.base_url)


def _sync(ads, oauth, refresh, clock, warehouse, *, settings=None, **kw):
    kw.setdefault("retry", RetryPolicy(sleep=clock.advance, random=lambda: 0.5, base_delay=0.2))
    kw.setdefault("today", TODAY)
    return sync_google_ads(_config(ads, oauth, refresh, **(settings or {})), warehouse, **kw)


def _raw(warehouse) -> dict[str, list[dict[str, Any]]]:
    """raw_events of google_ads as {external_id: [payloads, oldest ingestion first]}."""
    ensure_raw_table(warehouse)
    rows = warehouse.query(
        "SELECT entity, external_id, payload FROM raw_events WHERE source = 'google_ads' ORDER BY ingest_seq"
    ).to_pylist()
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        assert row["entity"] == "campaign_daily"
        out.setdefault(row["external_id"], []).append(json.loads(row["payload"]))
    return out


def _expected(ads: FakeGoogleAds, first: str = "2026-01-25", last: str = "2026-02-09") -> dict[str, list[dict]]:
    return {f"{r['campaign']['id']}:{r['segments']['date']}": [r] for r in ads.rows
            if first <= r["segments"]["date"] <= last}


def _queries(ads: FakeGoogleAds) -> list[str]:
    return [r.json()["query"] for r in ads.log.matching(r"googleAds:searchStream$") if r.fault is None]


def _between(query: str) -> tuple[str, str]:
    match = re.search(r"segments\.date BETWEEN '([\d-]+)' AND '([\d-]+)'", query)
    assert match, query
    return match.group(1), match.group(2)


# -- full and incremental syncs ---------------------------------------------------------------------


def test_a_full_sync_stores_exactly_the_fixture_rows(ads, oauth, refresh, clock, warehouse, registry):
    result = _sync(ads, oauth, refresh, clock, warehouse)
    assert result.fetched == {"campaign_daily": 15} and result.inserted == {"campaign_daily": 15}
    assert result.pages == 4  # batches of 4: 4 + 4 + 4 + 3
    assert (result.retries, result.errors) == (0, 0)
    assert _raw(warehouse) == _expected(ads)
    raw = _raw(warehouse)
    assert raw["2002:2026-02-03"][0]["metrics"] == {"impressions": "1640", "clicks": "82", "costMicros": "102500007",
                                                    "conversions": 1.5, "conversionsValue": 93.75}

    (request,) = ads.log.requests
    assert request.method == "POST" and request.path == "/v17/customers/1234567890/googleAds:searchStream"
    assert request.headers["developer-token"] == DEV_TOKEN and "login-customer-id" not in request.headers
    token = request.headers["authorization"].removeprefix("Bearer ")
    assert registry.has_scope(token, ADS_SCOPE) and token != ads.access_token  # the token OAuth issued
    assert _between(request.json()["query"]) == ("2026-01-25", "2026-02-09")
    assert len(oauth.log.matching(r"^/token$")) == 1
    state = load_state(warehouse, "ads", "campaign_daily")
    assert state.cursor == "2026-02-09" and state.lookback == timedelta(days=3) and state.records == 15


def test_the_query_selects_every_field_of_the_demos_rows():
    from growthos.sources.demo import generate

    row = next(r for r in generate(days=3, scale=0.2) if r.source == "google_ads").payload
    query = campaign_daily_query(date(2026, 2, 1), date(2026, 2, 2))
    selected = set(query.split(" FROM ")[0].removeprefix("SELECT ").split(", "))
    snake = {f"{group}.{re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), key)}"
             for group, fields in row.items() for key in fields if key != "resourceName"}
    assert selected == snake


def test_the_demos_rows_come_back_as_the_demos_records(registry, oauth, refresh, clock, warehouse):
    """Served from the demo generator's own payloads, a sync stores its records exactly: ids and payloads."""
    from growthos.sources.demo import generate

    demo = [r for r in generate(days=14, scale=0.3) if r.source == "google_ads"]
    days = sorted({r.payload["segments"]["date"] for r in demo})
    fake = FakeGoogleAds(developer_token=DEV_TOKEN, tokens=registry, rows=[r.payload for r in demo])
    with fake.serve():
        result = _sync(fake, oauth, refresh, clock, warehouse, settings={"start_date": days[0]},
                       today=date.fromisoformat(days[-1]) + timedelta(days=1))
    assert result.fetched == {"campaign_daily": len(demo)} and len(demo) > 20
    assert _raw(warehouse) == {r.external_id: [r.payload] for r in demo}


def test_an_incremental_sync_reads_only_the_lookback_window(ads, oauth, refresh, clock, warehouse):
    _sync(ads, oauth, refresh, clock, warehouse, today=date(2026, 2, 6))  # stores 01-25 .. 02-05
    assert load_state(warehouse, "ads", "campaign_daily").cursor == "2026-02-05"
    ads.set_metrics("2002", "2026-02-03", conversions=7.5, conversions_value=410.0)  # late conversions
    ads.set_metrics("2001", "2026-02-01", clicks=999)  # outside the lookback: not read again
    for campaign, name in (("2001", "Brand - Forkful"), ("2003", "Shopping - Performance Max")):
        ads.add_row(campaign, name, date(2026, 2, 6), impressions=500, clicks=25, cost_micros=31_000_000)
    ads.log.clear()

    result = _sync(ads, oauth, refresh, clock, warehouse, today=date(2026, 2, 8))

    assert [_between(q) for q in _queries(ads)] == [("2026-02-02", "2026-02-07")]  # cursor 02-05 minus 3 days
    assert result.fetched == {"campaign_daily": 3 * 4 + 2}
    assert result.inserted == {"campaign_daily": 3}  # the changed row and the two new ones
    raw = _raw(warehouse)
    changed = raw["2002:2026-02-03"]
    assert [p["metrics"]["conversions"] for p in changed] == [1.5, 7.5]  # a new version beside the old one
    assert raw["2001:2026-02-06"] == [ads.rows[-2]]
    assert raw["2001:2026-02-01"][-1]["metrics"]["clicks"] == "40"
    assert load_state(warehouse, "ads", "campaign_daily").cursor == "2026-02-07"


def test_a_full_resync_reads_everything_again_and_stores_nothing_new(ads, oauth, refresh, clock, warehouse):
    _sync(ads, oauth, refresh, clock, warehouse)
    ads.log.clear()
    result = _sync(ads, oauth, refresh, clock, warehouse, full=True)
    assert [_between(q) for q in _queries(ads)] == [("2026-01-25", "2026-02-09")]
    assert result.fetched == {"campaign_daily": 15} and result.inserted == {"campaign_daily": 0}
    assert _raw(warehouse) == _expected(ads)


def test_long_ranges_are_read_in_windows(ads, oauth, refresh, clock, warehouse):
    result = _sync(ads, oauth, refresh, clock, warehouse, window_days=7)
    assert [_between(q) for q in _queries(ads)] == [("2026-01-25", "2026-01-31"), ("2026-02-01", "2026-02-07"),
                                                    ("2026-02-08", "2026-02-09")]
    assert result.fetched == {"campaign_daily": 15} and _raw(warehouse) == _expected(ads)


# -- faults -----------------------------------------------------------------------------------------

FAULTS = {
    "429 retryDelay": lambda f: f.quota_error(retry_delay="7s"),
    "429 retryDelay in the stream array": lambda f: f.quota_error(retry_delay="7s", in_array=True),
    "500": lambda f: f.faults.status(500),
    "503 html": lambda f: f.faults.status(503, body="<html>Service Unavailable</html>"),
    "read timeout": lambda f: f.faults.timeout(0.1),
    "malformed JSON": lambda f: f.faults.malformed_json(),
    "truncated body": lambda f: f.faults.truncated(),
    "connection cut mid-body": lambda f: f.faults.truncated(cut_connection=True),
    "error mid-stream": lambda f: f.fail_mid_stream(),
    "expired token": lambda f: f.faults.expired_token(),
}


@pytest.mark.parametrize("request_number", [1, 2])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_sync_under_a_fault_stores_the_same_rows_as_a_clean_sync(ads, oauth, refresh, clock, warehouse, fault,
                                                                   request_number):
    inject = FAULTS[fault]
    if request_number == 1:
        inject(ads)
    else:  # the second window's request
        original = ads.search
        calls = []
        # Faults apply to the next request; a mid-stream error to the answer being built.
        at = 2 if fault == "error mid-stream" else 1

        def search(query):
            calls.append(query)
            if len(calls) == at:
                inject(ads)
            return original(query)

        ads.search = search
    # A short read timeout only where the fault needs one (the fake answers late), so no clean request
    # of a busy test machine times out.
    timeouts = Timeouts(connect=1.0, read=0.05 if fault == "read timeout" else 10.0)
    result = _sync(ads, oauth, refresh, clock, warehouse, window_days=10, timeouts=timeouts)
    assert _raw(warehouse) == _expected(ads)  # nothing lost, nothing stored twice
    assert result.fetched == {"campaign_daily": 15}
    searches = ads.log.matching(r"googleAds:searchStream$")
    if fault == "read timeout":  # a 50 ms read timeout may also catch a slow clean answer on a busy machine
        assert result.retries >= 1 and len(searches) >= 3
        return
    assert len(searches) == 3  # two windows, one of them sent twice
    if fault == "expired token":
        assert result.retries == 0 and len(oauth.log.matching(r"^/token$")) == 2  # refreshed once, then went on
        assert searches[request_number - 1].headers["authorization"] != searches[request_number].headers[
            "authorization"]
    else:
        assert result.retries == 1 and result.errors == 1
        assert len(oauth.log.matching(r"^/token$")) == 1
    if fault.startswith("429"):
        assert clock.sleeps == [7.0]
    if fault == "error mid-stream":
        assert clock.sleeps == [30.0]  # the in-stream error's own retryDelay


def test_an_error_mid_stream_stores_nothing_of_the_partial_answer(ads, oauth, refresh, clock, warehouse):
    ads.fail_mid_stream(daily=True)  # the first batch arrives, then the daily quota error
    with pytest.raises(TerminalConnectorError, match="daily operations quota") as info:
        _sync(ads, oauth, refresh, clock, warehouse)
    assert "tomorrow" in info.value.message and "RESOURCE_EXHAUSTED" in info.value.message
    assert _raw(warehouse) == {} and load_state(warehouse, "ads", "campaign_daily").cursor is None


def test_the_daily_quota_is_terminal_and_not_retried(ads, oauth, refresh, clock, warehouse):
    ads.quota_error(daily=True)
    with pytest.raises(TerminalConnectorError, match=r"quotaError\.RESOURCE_EXHAUSTED.*daily operations quota"):
        _sync(ads, oauth, refresh, clock, warehouse)
    assert len(ads.log) == 1 and clock.sleeps == []


def test_an_interrupted_sync_resumes_from_its_saved_state(ads, oauth, refresh, clock, warehouse):
    original = ads.search
    calls = []

    def search(query):
        calls.append(query)
        if len(calls) == 1:
            ads.quota_error(daily=True)  # the second window's request fails for the day
        return original(query)

    ads.search = search
    settings = {"start_date": "2026-01-30"}
    with pytest.raises(TerminalConnectorError):
        _sync(ads, oauth, refresh, clock, warehouse, settings=settings, window_days=3, lookback=timedelta(0))
    assert _raw(warehouse) == _expected(ads, last="2026-02-01")  # the first window: 01-30 .. 02-01
    assert load_state(warehouse, "ads", "campaign_daily").cursor == "2026-02-01"

    ads.search = original
    ads.log.clear()
    result = _sync(ads, oauth, refresh, clock, warehouse, settings=settings, window_days=3, lookback=timedelta(0))
    assert [_between(q) for q in _queries(ads)] == [("2026-02-01", "2026-02-03"), ("2026-02-04", "2026-02-06"),
                                                    ("2026-02-07", "2026-02-09")]
    assert result.inserted == {"campaign_daily": 12}
    assert _raw(warehouse) == _expected(ads)


def test_a_token_refused_twice_is_an_auth_error(ads, oauth, refresh, clock, warehouse):
    ads.faults.expired_token(times=2)
    with pytest.raises(AuthError, match="UNAUTHENTICATED") as info:
        _sync(ads, oauth, refresh, clock, warehouse)
    assert info.value.http_status == 401
    assert len(ads.log) == 2 and len(oauth.log.matching(r"^/token$")) == 2


def test_a_revoked_authorization_asks_to_reconnect(ads, oauth, refresh, clock, warehouse, registry):
    registry.revoke(refresh)
    with pytest.raises(AuthError, match="reconnect"):
        _sync(ads, oauth, refresh, clock, warehouse)
    assert len(ads.log) == 0


def test_the_token_is_refreshed_when_the_registry_clock_passes_its_expiry(ads, oauth, refresh, clock, warehouse,
                                                                          registry):
    tokens = GoogleTokenProvider(client_id=CLIENT, client_secret=SECRET, refresh_token=refresh,
                                 token_url=f"{oauth.base_url}/token", clock=ManualClock())
    _sync(ads, oauth, refresh, clock, warehouse, tokens=tokens, today=date(2026, 2, 3))
    registry.advance(3600)  # the API now refuses the cached token, which the provider still thinks is good
    result = _sync(ads, oauth, refresh, clock, warehouse, tokens=tokens)
    first, refused, retried = (r.headers["authorization"] for r in ads.log.requests)
    assert first == refused != retried  # the stale token got its 401, the new one went through
    assert tokens.refreshes == 2 and result.fetched == {"campaign_daily": 15} and result.retries == 0
    assert _raw(warehouse) == _expected(ads)


# -- test(), headers, settings ----------------------------------------------------------------------


def test_the_connection_test_names_the_customer(ads, oauth, refresh):
    assert REGISTRY["google_ads"].test(_config(ads, oauth, refresh)) == "Google Ads customer 123-456-7890 (USD)"
    query = ads.log.requests[-1].json()["query"]
    assert query.startswith("SELECT customer.id") and "LIMIT 1" in query


def test_a_wrong_developer_token_is_an_auth_error_naming_it(ads, oauth, refresh):
    config = _config(ads, oauth, refresh)
    config.secrets["developer_token"] = "wrong"
    with pytest.raises(AuthError, match="DEVELOPER_TOKEN_PROHIBITED") as info:
        REGISTRY["google_ads"].test(config)
    assert info.value.field == "developer_token" and len(ads.log) == 1


def test_a_manager_account_sends_the_login_customer_id(registry, oauth, refresh, clock, warehouse):
    fake = FakeGoogleAds(developer_token=DEV_TOKEN, tokens=registry, login_customer_id="9876543210")
    with fake.serve():
        with pytest.raises(AuthError, match="USER_PERMISSION_DENIED"):
            _sync(fake, oauth, refresh, clock, warehouse)
        result = _sync(fake, oauth, refresh, clock, warehouse, settings={"login_customer_id": "987-654-3210"})
        assert fake.log.requests[-1].headers["login-customer-id"] == "9876543210"
    assert result.fetched == {"campaign_daily": 15}


def test_customer_ids_are_normalised_and_checked():
    assert customer_id("123-456-7890") == "1234567890" == customer_id(1234567890)
    with pytest.raises(TerminalConnectorError) as info:
        customer_id("12-34")
    assert info.value.field == "customer_id"


def test_sync_connection_dispatches_through_the_registry(registry, oauth, refresh, warehouse):
    from growthos.sources.google_auth import utc_today

    yesterday = utc_today() - timedelta(days=1)
    rows = [make_row("1234567890", "2001", "Brand - Forkful", yesterday, impressions=10, clicks=2, cost_micros=5)]
    fake = FakeGoogleAds(developer_token=DEV_TOKEN, tokens=registry, rows=rows)
    with fake.serve():
        config = _config(fake, oauth, refresh, start_date=(yesterday - timedelta(days=3)).isoformat())
        result = sync_connection(config, warehouse)
    assert (result.kind, result.connection, result.fetched) == ("google_ads", "ads", {"campaign_daily": 1})


# -- what staging reads ------------------------------------------------------------------------------


def test_synced_rows_build_into_staging_and_the_marts(ads, oauth, refresh, clock, warehouse, make_settings):
    from growthos.warehouse.build import run_models

    _sync(ads, oauth, refresh, clock, warehouse)
    run_models(warehouse, make_settings())
    quarantined = warehouse.query("SELECT count(*) AS n FROM stg_quarantine WHERE source = 'google_ads'").to_pylist()
    assert quarantined == [{"n": 0}]
    spend = warehouse.query(
        "SELECT count(*) AS n, sum(spend) AS spend, sum(clicks) AS clicks, sum(platform_purchases) AS conv "
        "FROM fact_spend WHERE platform = 'google_ads'").to_pylist()[0]
    rows = ads.rows
    assert spend["n"] == 15
    assert Decimal(str(spend["spend"])) == sum(Decimal(r["metrics"]["costMicros"]) for r in rows) / 1_000_000
    assert spend["clicks"] == sum(int(r["metrics"]["clicks"]) for r in rows)
    assert spend["conv"] == pytest.approx(sum(r["metrics"]["conversions"] for r in rows))
    campaigns = warehouse.query("SELECT campaign_id, campaign_name FROM dim_campaign WHERE has_spend "
                                "AND channel = 'google_ads' ORDER BY campaign_id").to_pylist()
    assert [c["campaign_id"] for c in campaigns] == ["2001", "2002", "2003"]
