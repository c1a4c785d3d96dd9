"""The Meta ads-insights connector against the fake Graph API over real HTTP on 127.0.0.1.

Expectations come from the fixture rows the fake holds (selected by date here, independently of the
connector): a sync stores exactly the rows of its date range; a re-sync asks only for the re-fetch window
and stores late-attribution changes as new versions; faults, throttling, failed report runs and
interruptions end with the same raw layer as a clean run.

``FakeMeta`` serves the insights edges and report runs but not the ad-account node the connector reads
first (``GET /{v}/act_{id}?fields=name,currency,timezone_name``); ``AccountFakeMeta`` adds it, plus hooks
to inject a fault after the n-th page and to script the next report runs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from fakes.meta import DEFAULT_ADS, FakeMeta, default_rows, meta_error

from growthos.sources.connectors import REGISTRY, ConnectionConfig
from growthos.sources.http import AuthError, RetryableConnectorError, RetryPolicy, TerminalConnectorError, Timeouts
from growthos.sources.meta import Polling, ad_account_id, sync_meta
from growthos.sources.meta.graph import api_version, refetch_days
from growthos.sources.meta.graph import meta_error as map_meta_error
from growthos.sources.meta.insights import FIELDS
from growthos.sources.meta.sync import account_today, windows
from growthos.sources.meta.usage import UsageThrottle, regain_seconds, usage_percent
from growthos.sources.sync import sync_connection
from growthos.sources.sync_state import load_state
from growthos.warehouse.raw import ensure_raw_table

ACCOUNT = "1029384756"
TOKEN = "meta-test-token"
V = "v21.0"
NOW = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)  # 07:00 in Los Angeles: yesterday there is 2026-02-09
FIRST_DAY, LAST_DAY = date(2025, 11, 1), date(2026, 2, 10)
BACKFILL = (date(2025, 11, 12), date(2026, 2, 9))  # 90 days back from the account's today, to yesterday
SHORT = (date(2026, 1, 20), date(2026, 2, 9))  # start_date 2026-01-20: 21 days, one synchronous read


class AccountFakeMeta(FakeMeta):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after_page: Callable[[int], None] | None = None
        self.pages_served = 0
        self.scripts: list[list[tuple[str, int]]] = []
        """Job scripts of the next report runs, in order (then ``job_script``)."""

    def _respond(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
        response = super()._respond(body, status, headers)
        if status == 200 and isinstance(body, dict) and "data" in body:
            self.pages_served += 1
            if self.after_page is not None:
                self.after_page(self.pages_served)
        return response

    def _start_job(self, query: Any, rows: list[dict[str, Any]]) -> str:
        if not self.scripts:
            return super()._start_job(query, rows)
        saved, self.job_script = self.job_script, self.scripts.pop(0)
        try:
            return super()._start_job(query, rows)
        finally:
            self.job_script = saved


@pytest.fixture
def fake() -> Iterator[AccountFakeMeta]:
    service = AccountFakeMeta(ad_account_id=ACCOUNT, access_token=TOKEN,
                              rows=default_rows(ACCOUNT, FIRST_DAY, (LAST_DAY - FIRST_DAY).days + 1))
    with service.serve():
        yield service


def _config(fake: FakeMeta, token: str = TOKEN, **settings: Any) -> ConnectionConfig:
    return ConnectionConfig("meta-ads", "meta", {"ad_account_id": f"act_{ACCOUNT}", **settings},
                            {"access_token": token}, api_base_url=fake.base_url)


def _sync(fake, warehouse, clock, *, settings: dict[str, Any] | None = None, **kw):
    kw.setdefault("retry", RetryPolicy(sleep=clock.advance, random=lambda: 0.5, base_delay=0.2))
    kw.setdefault("polling", Polling(interval=1.0))
    kw.setdefault("page_size", 25)
    kw.setdefault("now", lambda: NOW)
    return sync_meta(_config(fake, **(settings or {})), warehouse, **kw)


def _raw(warehouse) -> dict[str, list[dict[str, Any]]]:
    """raw_events as {external_id: [payloads, oldest ingestion first]}."""
    ensure_raw_table(warehouse)
    rows = warehouse.query(
        "SELECT entity, external_id, payload FROM raw_events WHERE source = 'meta' ORDER BY ingest_seq"
    ).to_pylist()
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        assert row["entity"] == "ads_insights"
        out.setdefault(row["external_id"], []).append(json.loads(row["payload"]))
    return out


def _expected(rows: list[dict[str, Any]], since: date, until: date) -> dict[str, list[dict[str, Any]]]:
    """The fixture rows dated since..until, keyed as the demo keys them (``{ad_id}:{date}``)."""
    return {f"{r['ad_id']}:{r['date_start']}": [r] for r in rows
            if since.isoformat() <= r["date_start"] <= until.isoformat()}


def _ranges(fake: FakeMeta, method: str = "GET") -> list[tuple[str, str]]:
    """time_range of each first insights request (sync GETs, or report-run POSTs)."""
    out = []
    for r in fake.log.matching(rf"^/{V}/act_{ACCOUNT}/insights$", method):
        if "time_range" in r.query and "after" not in r.query:
            value = json.loads(r.query["time_range"])
            out.append((value["since"], value["until"]))
    return out


def _pair(first: date, last: date) -> tuple[str, str]:
    return first.isoformat(), last.isoformat()


# -- full syncs ---------------------------------------------------------------------------------------


def test_a_backfill_reads_90_days_through_async_report_runs(fake, warehouse, clock):
    result = _sync(fake, warehouse, clock)
    expected = _expected(fake.rows, *BACKFILL)
    assert len(expected) == 270
    assert result.fetched == {"ads_insights": 270} and result.inserted == {"ads_insights": 270}
    assert (result.retries, result.errors) == (0, 0)
    assert _raw(warehouse) == expected
    assert _ranges(fake, "POST") == [("2025-11-12", "2025-12-11"), ("2025-12-12", "2026-01-10"),
                                     ("2026-01-11", "2026-02-09")]
    assert _ranges(fake, "GET") == []
    assert result.pages == 12  # 90 rows per run, 25 per page
    assert clock.sleeps == [1.0, 1.5] * 3  # each run: Not Started, Running, Completed
    assert load_state(warehouse, "meta-ads", "ads_insights").cursor == "2026-02-09"

    post = fake.log.matching("/insights$", "POST")[0]
    assert post.query["level"] == "ad" and post.query["time_increment"] == "1"
    assert set(post.query["fields"].split(",")) == set(FIELDS)
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in fake.log.requests)
    assert not any("access_token" in r.query for r in fake.log.requests)  # not even on paging.next links
    account = fake.log.requests[0]
    assert account.path == f"/{V}/act_{ACCOUNT}" and account.query["fields"] == "name,currency,timezone_name"


def test_a_short_range_is_one_synchronous_paged_read(fake, warehouse, clock):
    result = _sync(fake, warehouse, clock, settings={"start_date": "2026-01-20"})
    assert _raw(warehouse) == _expected(fake.rows, *SHORT)
    assert result.fetched == {"ads_insights": 63} and result.pages == 3
    assert _ranges(fake) == [_pair(*SHORT)]
    assert fake.log.matching("/insights$", "POST") == [] and fake.jobs == {}
    pages = fake.log.matching("/insights$", "GET")
    assert [r.query["limit"] for r in pages] == ["25"] * 3 and "after" in pages[1].query
    assert clock.sleeps == []


def test_the_last_day_is_yesterday_in_the_accounts_time_zone(fake, warehouse, clock):
    fake.account["timezone_name"] = "Asia/Tokyo"  # 2026-02-11 00:30 there: yesterday is the 10th
    _sync(fake, warehouse, clock, settings={"start_date": "2026-02-01"},
          now=lambda: datetime(2026, 2, 10, 15, 30, tzinfo=UTC))
    assert _ranges(fake) == [("2026-02-01", "2026-02-10")]
    assert account_today(datetime(2026, 2, 10, 3, 0, tzinfo=UTC), "America/Los_Angeles") == date(2026, 2, 9)
    assert account_today(datetime(2026, 2, 10, 3, 0, tzinfo=UTC), "Not/AZone") == date(2026, 2, 10)


def test_a_full_resync_reads_everything_and_stores_nothing_new(fake, warehouse, clock):
    _sync(fake, warehouse, clock)
    result = _sync(fake, warehouse, clock, full=True)
    assert result.fetched == {"ads_insights": 270} and result.inserted == {"ads_insights": 0}
    assert _raw(warehouse) == _expected(fake.rows, *BACKFILL)


# -- incremental syncs and late attribution ------------------------------------------------------------


@pytest.mark.parametrize("refetch", [7, 3])
def test_a_resync_rereads_only_the_refetch_window_and_stores_late_attribution(fake, warehouse, clock, refetch):
    settings = {"start_date": "2026-01-20", "refetch_days": str(refetch)}
    _sync(fake, warehouse, clock, settings=settings)
    before = copy.deepcopy(fake.rows)
    late_day = date(2026, 2, 9) - timedelta(days=refetch - 1)  # the oldest day of the window
    retargeting, broad = DEFAULT_ADS[2].ad_id, DEFAULT_ADS[0].ad_id
    fake.update_row(retargeting, late_day, purchases=9, value_cents=70200)  # inside the window
    fake.update_row(broad, late_day - timedelta(days=1), spend_cents=99999)  # just outside: not read again
    for day in (date(2026, 2, 11),):
        for ad in DEFAULT_ADS:
            fake.add_row(ad, day, spend_cents=3000, impressions=2000, clicks=40)
    fake.log.clear()

    later = NOW + timedelta(days=2)  # yesterday is now 2026-02-11
    result = _sync(fake, warehouse, clock, settings=settings, now=lambda: later)

    assert _ranges(fake) == [(late_day.isoformat(), "2026-02-11")]
    assert fake.log.matching("/insights$", "POST") == []
    window_rows = 3 * ((date(2026, 2, 11) - late_day).days + 1)
    assert result.fetched == {"ads_insights": window_rows}
    assert result.inserted == {"ads_insights": 1 + 6}  # the late change, and 2026-02-10 and -11 (3 ads each)
    stored = _raw(warehouse)
    late = stored[f"{retargeting}:{late_day}"]
    assert len(late) == 2 and late[-1] == fake.find_row(retargeting, late_day)
    assert {a["action_type"]: a["value"] for a in late[-1]["actions"]}["purchase"] == "9"
    outside = f"{broad}:{late_day - timedelta(days=1)}"
    assert stored[outside] == _expected(before, *SHORT)[outside]  # the change outside the window is not seen
    expected = _expected(before, SHORT[0], date(2026, 2, 11))
    expected.update(_expected(fake.rows, late_day, date(2026, 2, 11)))
    assert {k: v[-1] for k, v in stored.items()} == {k: v[-1] for k, v in expected.items()}
    assert load_state(warehouse, "meta-ads", "ads_insights").cursor == "2026-02-11"


def test_a_resync_on_the_same_day_with_no_refetch_window_reads_nothing(fake, warehouse, clock):
    _sync(fake, warehouse, clock, settings={"start_date": "2026-02-01", "refetch_days": 0})
    fake.log.clear()
    result = _sync(fake, warehouse, clock, settings={"start_date": "2026-02-01", "refetch_days": 0})
    assert result.fetched == {"ads_insights": 0}
    assert [r.path for r in fake.log.requests] == [f"/{V}/act_{ACCOUNT}"]


# -- faults and throttling ---------------------------------------------------------------------------

FAULTS: dict[str, Callable[[AccountFakeMeta], None]] = {
    "429": lambda f: f.faults.status(429, path="/insights$"),
    "429 Retry-After": lambda f: f.faults.status(429, headers={"Retry-After": "2"}, path="/insights$"),
    "500": lambda f: f.faults.status(500, path="/insights$"),
    "503 html": lambda f: f.faults.status(503, body="<html>Service Unavailable</html>", path="/insights$"),
    "read timeout": lambda f: f.faults.timeout(0.1, path="/insights$"),
    "malformed JSON": lambda f: f.faults.malformed_json(path="/insights$"),
    "truncated page": lambda f: f.faults.truncated(path="/insights$"),
    "connection cut mid-page": lambda f: f.faults.truncated(cut_connection=True, path="/insights$"),
    "throttle 4": lambda f: f.throttle(4, regain_minutes=5),
    "throttle 17": lambda f: f.throttle(17, regain_minutes=5),
    "throttle 613 (no regain time)": lambda f: f.throttle(613, regain_minutes=0),
    "throttle 80004": lambda f: f.throttle(80004, regain_minutes=5),
}


@pytest.mark.parametrize("page", [0, 2])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_sync_under_a_fault_stores_the_same_records_as_a_clean_sync(fake, warehouse, clock, fault, page):
    inject = FAULTS[fault]
    if page == 0:
        inject(fake)
    else:
        fake.after_page = lambda served: inject(fake) if served == page else None
    result = _sync(fake, warehouse, clock, settings={"start_date": "2026-01-20"},
                   timeouts=Timeouts(connect=1.0, read=0.05))
    assert result.retries == 1 and result.errors == 1
    assert result.fetched == {"ads_insights": 63}
    assert _raw(warehouse) == _expected(fake.rows, *SHORT)  # nothing lost, nothing stored twice
    assert sum(r.fault is not None for r in fake.log.requests) == 1
    if fault == "429 Retry-After":
        assert clock.sleeps == [2.0]
    if "regain" not in fault and fault.startswith("throttle"):
        assert 300.0 in clock.sleeps  # estimated_time_to_regain_access: 5 minutes
    elif fault.startswith("throttle"):
        assert clock.sleeps == [0.1]  # no regain time: the policy's backoff (0.5 x 0.2)


@pytest.mark.parametrize("code", [4, 17, 613, 80004])
def test_throttling_during_an_async_run_is_waited_out(fake, warehouse, clock, code):
    fake.after_page = lambda served: fake.throttle(code, times=2, regain_minutes=1) if served == 5 else None
    result = _sync(fake, warehouse, clock)
    assert result.retries == 2 and clock.sleeps.count(60.0) == 2
    assert _raw(warehouse) == _expected(fake.rows, *BACKFILL)


def test_a_usage_header_above_90_percent_slows_down_before_the_next_call(fake, warehouse, clock):
    fake.usage = {"call_count": 95, "total_cputime": 20, "total_time": 20, "estimated_time_to_regain_access": 0}
    _sync(fake, warehouse, clock, settings={"start_date": "2026-01-20"})
    assert clock.sleeps == [37.5] * (len(fake.log) - 1)  # 15 s at 90 % up to 60 s at 100 %
    clock.sleeps.clear()
    fake.usage = {"call_count": 89, "total_cputime": 60, "total_time": 70, "estimated_time_to_regain_access": 0}
    _sync(fake, warehouse, clock, settings={"start_date": "2026-01-20"})
    assert clock.sleeps == []


def test_usage_headers_are_read_from_both_shapes():
    business = {"x-business-use-case-usage": json.dumps(
        {"1": [{"type": "ads_insights", "call_count": 12, "total_cputime": 93, "total_time": 3,
                "estimated_time_to_regain_access": 0}],
         "2": [{"type": "ads_management", "call_count": 1, "estimated_time_to_regain_access": 2}]})}
    assert usage_percent(business) == 93 and regain_seconds(business) == 120
    app = {"x-app-usage": '{"call_count": 91, "total_cputime": 5, "total_time": 5}'}
    assert usage_percent(app) == 91 and regain_seconds(app) == 0
    assert usage_percent({"x-app-usage": "not json"}) == 0
    throttle = UsageThrottle()
    throttle.observe(business)
    assert throttle.take_wait() == 120 and throttle.take_wait() == 0


# -- interruptions and report runs --------------------------------------------------------------------


def test_an_interrupted_sync_resumes_from_its_saved_state(fake, warehouse, clock):
    # Window 1 is pages 1-4; the token expires after page 5 (the first of window 2).
    fake.after_page = lambda served: fake.faults.expired_token() if served == 5 else None
    with pytest.raises(AuthError, match="Session has expired"):
        _sync(fake, warehouse, clock)
    window_1 = _expected(fake.rows, date(2025, 11, 12), date(2025, 12, 11))
    stored = _raw(warehouse)
    assert set(window_1) < set(stored) and len(stored) == 90 + 25
    assert load_state(warehouse, "meta-ads", "ads_insights").cursor == "2025-12-11"

    fake.after_page = None
    fake.log.clear()
    result = _sync(fake, warehouse, clock)
    # From the cursor's day + 1 - 7 re-fetch days: 2025-12-05 .. 2026-02-09 (67 days) in 30-day runs.
    assert _ranges(fake, "POST") == [("2025-12-05", "2026-01-03"), ("2026-01-04", "2026-02-02"),
                                     ("2026-02-03", "2026-02-09")]
    assert result.inserted == {"ads_insights": 270 - 115}
    assert _raw(warehouse) == _expected(fake.rows, *BACKFILL)


@pytest.mark.parametrize("ending", ["Job Failed", "Job Skipped"])
def test_a_failed_report_run_is_started_again(fake, warehouse, clock, ending):
    fake.scripts = [[("Job Running", 40), (ending, 40)]]
    result = _sync(fake, warehouse, clock)
    assert len(fake.log.matching("/insights$", "POST")) == 4 and len(fake.jobs) == 4
    assert _ranges(fake, "POST")[:2] == [("2025-11-12", "2025-12-11")] * 2
    assert result.retries == 1
    assert _raw(warehouse) == _expected(fake.rows, *BACKFILL)


def test_a_report_run_that_keeps_failing_ends_the_sync_with_a_retryable_error(fake, warehouse, clock):
    fake.job_script = [("Job Failed", 0)]
    with pytest.raises(RetryableConnectorError, match="Job Failed"):
        _sync(fake, warehouse, clock, retry=RetryPolicy(max_attempts=3, sleep=clock.advance, random=lambda: 0.5))
    assert len(fake.jobs) == 3 and _raw(warehouse) == {}
    assert load_state(warehouse, "meta-ads", "ads_insights").cursor is None


def test_a_report_run_that_never_completes_is_given_up(fake, warehouse, clock):
    fake.job_script = [("Job Running", 10)]
    with pytest.raises(RetryableConnectorError, match="still Job Running"):
        _sync(fake, warehouse, clock, polling=Polling(interval=1.0, factor=2.0, max_wait=10.0),
              retry=RetryPolicy(max_attempts=1, sleep=clock.advance))
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]


def test_a_window_too_big_for_a_synchronous_call_is_read_by_a_report_run(fake, warehouse, clock):
    fake.max_sync_rows = 30
    result = _sync(fake, warehouse, clock, settings={"start_date": "2026-01-20"})
    assert _ranges(fake) == [_pair(*SHORT)] and _ranges(fake, "POST") == [_pair(*SHORT)]
    assert result.fetched == {"ads_insights": 63}
    assert _raw(warehouse) == _expected(fake.rows, *SHORT)


def test_an_unknown_meta_error_is_terminal_with_metas_message(fake, warehouse, clock):
    fake.faults.status(400, meta_error(100, "(#100) Tried accessing nonexisting field (foo)"), path="/insights$")
    with pytest.raises(TerminalConnectorError, match=r"nonexisting field \(foo\) \(code 100\)"):
        _sync(fake, warehouse, clock, settings={"start_date": "2026-01-20"})
    assert len(fake.log.matching("/insights$")) == 1


# -- test(), the registry, settings ------------------------------------------------------------------


@pytest.mark.parametrize("account", [ACCOUNT, f"act_{ACCOUNT}", f" act_{ACCOUNT} "])
def test_the_connection_test_returns_the_account_name(fake, account):
    config = ConnectionConfig("meta-ads", "meta", {"ad_account_id": account}, {"access_token": TOKEN},
                              api_base_url=fake.base_url)
    assert REGISTRY["meta"].test(config) == "Forkful Ads"
    request = fake.log.requests[-1]
    assert (request.method, request.path, request.query) == ("GET", f"/{V}/act_{ACCOUNT}", {"fields": "name,currency"})


def test_a_bad_token_is_an_auth_error_with_metas_message(fake, warehouse, clock):
    with pytest.raises(AuthError) as info:
        REGISTRY["meta"].test(_config(fake, token="wrong"))
    assert "Invalid OAuth access token" in info.value.message and "code 190" in info.value.message
    assert info.value.http_status == 400
    assert len(fake.log) == 1  # not retried
    with pytest.raises(AuthError, match="Invalid OAuth access token"):
        sync_meta(_config(fake, token="wrong"), warehouse, now=lambda: NOW, retry=RetryPolicy(sleep=clock.advance))
    assert len(fake.log) == 2 and clock.sleeps == []


def test_sync_connection_dispatches_through_the_registry(fake, warehouse, clock, monkeypatch):
    import growthos.sources.meta.connector as connector

    monkeypatch.setattr(connector, "sync_meta", partial(
        sync_meta, now=lambda: NOW, retry=RetryPolicy(sleep=clock.advance), polling=Polling(interval=0.01)))
    result = sync_connection(_config(fake, start_date="2026-02-01"), warehouse)
    assert (result.kind, result.connection, result.fetched) == ("meta", "meta-ads", {"ads_insights": 27})


def test_settings_are_checked_and_normalised():
    assert ad_account_id("act_123") == ad_account_id(" 123 ") == "123"
    assert api_version(None) == "v21.0" and api_version("20.0") == "v20.0"
    assert refetch_days("") == 7 and refetch_days(28) == 28
    for call, value, field in [(ad_account_id, "act_12a", "ad_account_id"), (api_version, "latest", "api_version"),
                               (refetch_days, "-1", "refetch_days")]:
        with pytest.raises(TerminalConnectorError) as info:
            call(value)
        assert info.value.field == field
    with pytest.raises(TerminalConnectorError) as info:
        sync_meta(ConnectionConfig("m", "meta", {"ad_account_id": "1", "start_date": "1/2/2026"},
                                   {"access_token": "t"}), None)  # type: ignore[arg-type]
    assert info.value.field == "start_date"
    assert [f.name for f in REGISTRY["meta"].fields] == ["ad_account_id", "access_token", "api_version",
                                                          "refetch_days", "start_date"]
    assert [f.name for f in REGISTRY["meta"].fields if f.secret] == ["access_token"]


def test_meta_errors_map_to_the_connector_errors():
    def mapped(code: int, subcode: int | None = None):
        return map_meta_error(None, meta_error(code, "m", subcode))

    assert all(isinstance(mapped(code), RetryableConnectorError) for code in (4, 17, 32, 613, 80000, 80014, 2))
    assert isinstance(mapped(190, 463), AuthError) and isinstance(mapped(200), AuthError)
    assert type(mapped(100, 1487534)).__name__ == "TooMuchData"
    assert type(mapped(100)) is TerminalConnectorError
    assert map_meta_error(None, {"data": []}) is None


def test_windows_split_long_ranges_into_async_runs():
    d = date(2026, 1, 1)
    assert windows(d, d + timedelta(days=29), 30) == [(d, d + timedelta(days=29), False)]
    assert windows(d, d + timedelta(days=30), 30) == [(d, d + timedelta(days=29), True),
                                                      (d + timedelta(days=30), d + timedelta(days=30), True)]
    assert windows(d, d - timedelta(days=1), 30) == []


# -- the demo's shape and what staging reads -----------------------------------------------------------


def test_the_fields_cover_the_demo_rows_and_what_staging_reads():
    import re
    from itertools import islice
    from pathlib import Path

    import growthos.warehouse as warehouse_pkg
    from growthos.sources.demo import generate

    asked = set(FIELDS) | {"date_start", "date_stop"}
    meta_records = (r for r in generate(scale=0.2, days=20) if r.source == "meta")
    demo = list(islice(meta_records, 500))
    assert demo and all(set(r.payload) <= asked for r in demo)
    assert all(r.external_id == f"{r.payload['ad_id']}:{r.payload['date_start']}" for r in demo)
    sql = (Path(warehouse_pkg.__file__).parent / "models" / "staging" / "int_spend_checked.sql").read_text()
    spec = json.loads(re.search(r"json_transform\(payload, '(\{.*?\})'\) AS m", sql, re.S).group(1))
    assert set(spec) <= asked


def test_synced_rows_build_into_staging_and_the_spend_mart(fake, warehouse, clock, make_settings):
    from growthos.warehouse.build import run_models

    _sync(fake, warehouse, clock)
    run_models(warehouse, make_settings())
    expected = _expected(fake.rows, *BACKFILL)
    cents = sum(round(float(v[0]["spend"]) * 100) for v in expected.values())
    purchases = sum(int(a["value"]) for v in expected.values() for a in v[0].get("actions", [])
                    if a["action_type"] == "purchase")
    staged = warehouse.query(
        "SELECT count(*) AS n, sum(spend_source) AS spend, sum(platform_purchases) AS purchases, "
        "min(spend_date) AS first, max(spend_date) AS last FROM stg_spend WHERE platform = 'meta'"
    ).to_pylist()[0]
    assert staged["n"] == 270 and round(float(staged["spend"]) * 100) == cents
    assert staged["purchases"] == purchases and (staged["first"], staged["last"]) == BACKFILL
    quarantined = warehouse.query("SELECT count(*) AS n FROM stg_quarantine WHERE source = 'meta'").to_pylist()
    assert quarantined[0]["n"] == 0
    mart = warehouse.query("SELECT sum(spend) AS spend FROM fact_spend WHERE platform = 'meta'").to_pylist()[0]
    assert round(float(mart["spend"]) * 100) == cents
