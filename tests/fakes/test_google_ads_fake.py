"""The Google Ads searchStream fake, driven with plain httpx: batches, GAQL filtering, int64 strings, errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fakes.google_ads import FakeGoogleAds

CID = "1234567890"
FULL_SELECT = ("SELECT customer.id, customer.currency_code, campaign.id, campaign.name, campaign.status, "
               "campaign.advertising_channel_type, segments.date, metrics.impressions, metrics.clicks, "
               "metrics.cost_micros, metrics.conversions, metrics.conversions_value FROM campaign")
HEADERS = {"developer-token": "dev-token", "Authorization": "Bearer ads-test-token"}


@pytest.fixture
def ads() -> Iterator[tuple[FakeGoogleAds, str]]:
    fake = FakeGoogleAds(customer_id=CID, batch_size=4)
    with fake.serve() as base_url:
        yield fake, base_url


def stream(url: str, query: str, headers: dict[str, str] | None = None, version: str = "v17") -> httpx.Response:
    return httpx.post(f"{url}/{version}/customers/{CID}/googleAds:searchStream", json={"query": query},
                      headers=HEADERS if headers is None else headers)


def results(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return [row for batch in response.json() for row in batch.get("results", [])]


def test_stream_is_an_array_of_batches_with_every_row_once(ads) -> None:
    fake, url = ads
    response = stream(url, FULL_SELECT + " WHERE segments.date BETWEEN '2026-02-01' AND '2026-02-05'")
    batches = response.json()
    assert isinstance(batches, list)
    assert [len(b["results"]) for b in batches] == [4, 4, 4, 3]
    assert len({b["requestId"] for b in batches}) == 1 and response.headers["request-id"] == batches[0]["requestId"]
    assert batches[0]["fieldMask"].split(",")[:3] == ["customer.id", "customer.currencyCode", "campaign.id"]
    rows = results(response)
    assert rows == fake.rows  # exactly the demo-shaped payloads
    assert len({(r["campaign"]["id"], r["segments"]["date"]) for r in rows}) == 15
    # clicks 40*(campaign+1) + day: 5 days x (40+80+120) + 3 x (0+1+2+3+4)
    assert sum(int(r["metrics"]["clicks"]) for r in rows) == 1230


def test_int64_values_are_strings_and_names_camel_case(ads) -> None:
    _, url = ads
    row = results(stream(url, FULL_SELECT + " WHERE segments.date = '2026-02-01' AND campaign.id = 2001"))[0]
    assert row["metrics"] == {"impressions": "800", "clicks": "40", "costMicros": "50000007",
                              "conversions": 0.0, "conversionsValue": 0.0}
    assert row["campaign"]["advertisingChannelType"] == "SEARCH" and row["customer"]["currencyCode"] == "USD"


def test_only_selected_fields_come_back_plus_resource_name(ads) -> None:
    _, url = ads
    response = stream(url, "SELECT campaign.id, metrics.clicks FROM campaign "
                           "WHERE segments.date >= '2026-02-05' AND segments.date <= '2026-02-05'")
    rows = results(response)
    assert rows[0] == {"campaign": {"resourceName": f"customers/{CID}/campaigns/2001", "id": "2001"},
                       "metrics": {"clicks": "44"}}
    assert len(rows) == 3 and response.json()[0]["fieldMask"] == "campaign.id,metrics.clicks"


def test_during_order_by_limit_and_in(ads) -> None:
    _, url = ads  # today is 2026-02-10: LAST_7_DAYS is 02-03..02-09, the fixture has 02-03..02-05
    rows = results(stream(url, FULL_SELECT + " WHERE segments.date DURING LAST_7_DAYS"))
    assert {r["segments"]["date"] for r in rows} == {"2026-02-03", "2026-02-04", "2026-02-05"}
    top = results(stream(url, FULL_SELECT + " WHERE segments.date DURING LAST_30_DAYS "
                                            "AND campaign.id IN (2001, 2002) ORDER BY metrics.clicks DESC LIMIT 2"))
    assert [(r["campaign"]["id"], r["segments"]["date"]) for r in top] == [("2002", "2026-02-05"),
                                                                            ("2002", "2026-02-04")]


def test_empty_result_is_one_batch_without_results(ads) -> None:
    _, url = ads
    batches = stream(url, FULL_SELECT + " WHERE segments.date BETWEEN '2025-01-01' AND '2025-01-31'").json()
    assert len(batches) == 1 and "results" not in batches[0] and batches[0]["fieldMask"]


@pytest.mark.parametrize(("query", "code"), [
    ("SELECT campaign.id, campaign.bogus FROM campaign", "UNRECOGNIZED_FIELD"),
    ("SELECT campaign.id FROM ad_group_nope", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
    ("SELECT campaign.id, segments.date FROM campaign", "EXPECTED_FILTERS_ON_DATE_RANGE"),
    ("SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_YEAR_OR_SO",
     "INVALID_VALUE_WITH_DURING_OPERATOR"),
    ("SELECT campaign.id campaign.name FROM campaign", "EXPECTED_FROM"),
])
def test_invalid_query_is_400_with_a_query_error(ads, query: str, code: str) -> None:
    _, url = ads
    response = stream(url, query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    failure = error["details"][0]
    assert failure["@type"] == "type.googleapis.com/google.ads.googleads.v17.errors.GoogleAdsFailure"
    assert failure["errors"][0]["errorCode"] == {"queryError": code}


def test_quota_errors_in_google_ads_shape(ads) -> None:
    fake, url = ads
    query = FULL_SELECT + " WHERE segments.date DURING LAST_7_DAYS"
    fake.faults.status(429)  # the fake's default 429 body: a temporary (rate) quota error
    fake.quota_error(daily=True, in_array=True)
    temporary = stream(url, query)
    assert temporary.status_code == 429
    error = temporary.json()["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    detail = error["details"][0]["errors"][0]
    assert detail["errorCode"] == {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"}
    assert detail["details"]["quotaErrorDetails"]["retryDelay"] == "30s"
    daily = stream(url, query)
    assert daily.status_code == 429 and isinstance(daily.json(), list)
    assert daily.json()[0]["error"]["details"][0]["errors"][0]["errorCode"] == {"quotaError": "RESOURCE_EXHAUSTED"}
    assert stream(url, query).status_code == 200


def test_error_inside_the_stream_after_a_first_batch(ads) -> None:
    fake, url = ads
    fake.fail_mid_stream()
    batches = stream(url, FULL_SELECT + " WHERE segments.date BETWEEN '2026-02-01' AND '2026-02-05'").json()
    assert len(batches[0]["results"]) == 4
    assert batches[1]["error"]["status"] == "RESOURCE_EXHAUSTED" and len(batches) == 2


def test_auth_failures(ads) -> None:
    fake, url = ads
    query = FULL_SELECT + " WHERE segments.date DURING LAST_7_DAYS"
    missing = stream(url, query, headers={"developer-token": "dev-token"})
    assert missing.status_code == 401 and missing.json()["error"]["status"] == "UNAUTHENTICATED"
    no_dev = stream(url, query, headers={"Authorization": "Bearer ads-test-token"})
    assert no_dev.status_code == 400
    assert no_dev.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
        "requestError": "DEVELOPER_TOKEN_PARAMETER_MISSING"}
    wrong_dev = stream(url, query, headers={**HEADERS, "developer-token": "other"})
    assert wrong_dev.status_code == 403
    fake.faults.expired_token()
    assert stream(url, query).status_code == 401
    fake.tokens.expire("ads-test-token")
    expired = stream(url, query)
    assert expired.status_code == 401 and expired.json()["error"]["status"] == "UNAUTHENTICATED"


def test_login_customer_id_required_for_a_managed_account() -> None:
    fake = FakeGoogleAds(customer_id=CID, login_customer_id="9998887776")
    with fake.serve() as url:
        query = FULL_SELECT + " WHERE segments.date DURING LAST_7_DAYS"
        denied = stream(url, query)
        assert denied.status_code == 403
        assert denied.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
            "authorizationError": "USER_PERMISSION_DENIED"}
        assert stream(url, query, headers={**HEADERS, "login-customer-id": "9998887776"}).status_code == 200
        assert fake.log.requests[-1].headers["login-customer-id"] == "9998887776"


def test_changed_metrics_show_on_refetch(ads) -> None:
    fake, url = ads
    query = FULL_SELECT + " WHERE segments.date = '2026-02-02' AND campaign.id = 2003"
    assert results(stream(url, query))[0]["metrics"]["conversions"] == 1.5
    fake.set_metrics("2003", "2026-02-02", conversions=4.25, cost_micros=99)
    metrics = results(stream(url, query))[0]["metrics"]
    assert metrics["conversions"] == 4.25 and metrics["costMicros"] == "99"
