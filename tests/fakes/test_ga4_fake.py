"""The GA4 runReport fake, driven with plain httpx: offset paging, rowCount, aggregation, quota and errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fakes.ga4 import FakeGA4
from growthos.sources.ga4_report import DIMENSIONS, METRICS

PROPERTY = "123456789"
AUTH = {"Authorization": "Bearer ga4-test-token"}


@pytest.fixture
def ga4() -> Iterator[tuple[FakeGA4, str]]:
    fake = FakeGA4(property_id=PROPERTY)
    with fake.serve() as base_url:
        yield fake, base_url


def run_report(url: str, body: dict, headers: dict[str, str] | None = None, prop: str = PROPERTY) -> httpx.Response:
    return httpx.post(f"{url}/v1beta/properties/{prop}:runReport", json=body,
                      headers=AUTH if headers is None else headers)


def growthos_request(limit: int | str = "10000", offset: int | str = "0", start: str = "2026-02-01",
                     end: str = "2026-02-03") -> dict:
    """The request GrowthOS makes (sources/ga4_report.py)."""
    return {"dateRanges": [{"startDate": start, "endDate": end}],
            "dimensions": [{"name": d} for d in DIMENSIONS], "metrics": [{"name": m} for m in METRICS],
            "limit": limit, "offset": offset}


def test_offset_paging_covers_every_row_once_with_total_row_count(ga4) -> None:
    fake, url = ga4
    rows, offset, counts = [], 0, set()
    while True:
        body = run_report(url, growthos_request(limit="5", offset=str(offset))).json()
        counts.add(body["rowCount"])
        page = body.get("rows", [])
        if not page:
            break
        rows += page
        offset += len(page)
    assert counts == {12}  # rowCount is the total, independent of limit/offset
    assert len(rows) == 12
    assert sorted(map(repr, rows)) == sorted(map(repr, fake.rows))  # exactly the stored demo-shaped rows
    assert {r["dimensionValues"][0]["value"] for r in rows} == {"20260201", "20260202", "20260203"}


def test_response_shape_headers_strings_and_kind(ga4) -> None:
    _, url = ga4
    body = run_report(url, growthos_request(limit=3, offset=0)).json()
    assert body["kind"] == "analyticsData#runReport"
    assert [h["name"] for h in body["dimensionHeaders"]] == DIMENSIONS
    assert [(h["name"], h["type"]) for h in body["metricHeaders"]][-1] == ("purchaseRevenue", "TYPE_CURRENCY")
    assert body["metricHeaders"][0] == {"name": "sessions", "type": "TYPE_INTEGER"}
    assert len(body["rows"]) == 3 and body["rowCount"] == 12
    values = [v["value"] for r in body["rows"] for v in r["dimensionValues"] + r["metricValues"]]
    assert all(isinstance(v, str) for v in values)
    assert body["metadata"] == {"currencyCode": "USD", "timeZone": "America/New_York"}


def test_rows_aggregate_over_omitted_dimensions(ga4) -> None:
    _, url = ga4
    body = run_report(url, {"dateRanges": [{"startDate": "2026-02-01", "endDate": "2026-02-02"}],
                            "dimensions": [{"name": "sessionSource"}],
                            "metrics": [{"name": "sessions"}, {"name": "purchaseRevenue"}]}).json()
    by_source = {r["dimensionValues"][0]["value"]: [m["value"] for m in r["metricValues"]] for r in body["rows"]}
    # sessions 100*(combo+1) + 10*day; revenue (combo+day)*62 with cents (7*combo+day)
    assert by_source == {"(direct)": ["610", "310.29"], "facebook": ["410", "186.15"],
                         "google": ["210", "62.01"], "newsletter": ["810", "434.43"]}
    assert body["rowCount"] == 4


def test_relative_dates_and_several_ranges(ga4) -> None:
    _, url = ga4  # today is 2026-02-10
    body = run_report(url, {"dateRanges": [{"startDate": "9daysAgo", "endDate": "9daysAgo"},
                                           {"startDate": "2026-02-03", "endDate": "yesterday"}],
                            "dimensions": [{"name": "date"}], "metrics": [{"name": "sessions"}]}).json()
    assert [h["name"] for h in body["dimensionHeaders"]] == ["date", "dateRange"]
    assert [[v["value"] for v in r["dimensionValues"]] for r in body["rows"]] == [
        ["20260201", "date_range_0"], ["20260203", "date_range_1"]]
    assert body["rows"][0]["metricValues"] == [{"value": "1000"}]  # 100+200+300+400


def test_empty_report_omits_rows_and_row_count_past_the_end_keeps_row_count(ga4) -> None:
    _, url = ga4
    empty = run_report(url, growthos_request(start="2025-01-01", end="2025-01-31")).json()
    assert "rows" not in empty and "rowCount" not in empty and empty["kind"] == "analyticsData#runReport"
    past = run_report(url, growthos_request(offset=50)).json()
    assert "rows" not in past and past["rowCount"] == 12


@pytest.mark.parametrize(("change", "needle"), [
    ({"dimensions": [{"name": "sessionSauce"}]}, "sessionSauce is not a valid dimension"),
    ({"metrics": [{"name": "revenueish"}]}, "revenueish is not a valid metric"),
    ({"limit": "ten"}, "limit"),
    ({"dateRanges": [{"startDate": "2026-02-05", "endDate": "2026-02-01"}]}, "startDate"),
])
def test_invalid_argument(ga4, change: dict, needle: str) -> None:
    _, url = ga4
    response = run_report(url, {**growthos_request(), **change})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["code"] == 400 and needle in error["message"]


def test_auth_failures_and_foreign_property(ga4) -> None:
    fake, url = ga4
    assert run_report(url, growthos_request(), headers={}).json()["error"]["status"] == "UNAUTHENTICATED"
    wrong = run_report(url, growthos_request(), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert run_report(url, growthos_request(), prop="42").json()["error"]["status"] == "PERMISSION_DENIED"
    fake.faults.expired_token()
    assert run_report(url, growthos_request()).status_code == 401
    fake.tokens.advance(10**9 + 1)  # the clock passes the token's lifetime
    expired = run_report(url, growthos_request())
    assert (expired.status_code, expired.json()["error"]["status"]) == (401, "UNAUTHENTICATED")


def test_property_quota_and_exhaustion(ga4) -> None:
    fake, url = ga4
    fake.tokens_per_day = 25  # 10 tokens per request: two requests fit
    first = run_report(url, {**growthos_request(), "returnPropertyQuota": True}).json()
    assert first["propertyQuota"]["tokensPerDay"] == {"consumed": 10, "remaining": 15}
    assert run_report(url, growthos_request()).status_code == 200
    exhausted = run_report(url, growthos_request())
    assert exhausted.status_code == 429
    assert exhausted.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert "Exhausted property tokens" in exhausted.json()["error"]["message"]


def test_injected_429_and_5xx_use_google_shape(ga4) -> None:
    fake, url = ga4
    fake.faults.status(429)
    fake.faults.status(503)
    throttled = run_report(url, growthos_request())
    assert throttled.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert run_report(url, growthos_request()).json()["error"]["status"] == "UNAVAILABLE"
    assert run_report(url, growthos_request()).status_code == 200
    assert [r.fault for r in fake.log.requests] == ["status", "status", None]
    assert fake.log.requests[-1].json()["limit"] == "10000"
