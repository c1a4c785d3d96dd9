"""The Meta Marketing API fake, driven with plain httpx: paging, async runs, usage header, errors, late attribution."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from fakes.meta import FakeMeta

V = "v21.0"
ACCOUNT = "1029384756"
TOKEN = "meta-test-token"
ALL_FIELDS = ("account_id,account_currency,campaign_id,campaign_name,adset_id,adset_name,ad_id,ad_name,"
              "spend,impressions,clicks,actions,action_values")


@pytest.fixture
def meta() -> Iterator[tuple[FakeMeta, str]]:
    fake = FakeMeta(ad_account_id=ACCOUNT, page_size=5)
    with fake.serve() as base_url:
        yield fake, base_url


def insights_params(**extra: str) -> dict[str, str]:
    params = {"access_token": TOKEN, "fields": ALL_FIELDS, "level": "ad", "time_increment": "1",
              "time_range": json.dumps({"since": "2026-02-01", "until": "2026-02-04"})}
    params.update(extra)
    return params


def fetch_all(first_url: str, params: dict[str, str] | None = None) -> tuple[list[dict], int]:
    """Follow paging.next to the end; returns (rows, pages)."""
    rows, pages = [], 0
    response = httpx.get(first_url, params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["data"]
        pages += 1
        nxt = body.get("paging", {}).get("next")
        if nxt is None:
            return rows, pages
        response = httpx.get(nxt)


def test_paging_covers_every_row_once_in_the_demo_shape(meta) -> None:
    fake, url = meta
    rows, pages = fetch_all(f"{url}/{V}/act_{ACCOUNT}/insights", insights_params())
    assert pages == 3  # 12 rows, 5 per page
    keys = [(r["ad_id"], r["date_start"]) for r in rows]
    assert len(keys) == len(set(keys)) == 12
    assert rows == sorted(fake.rows, key=lambda r: (r["date_start"], r["ad_id"]))  # exactly the stored payloads
    # spend cents 2500 + 100*ad + day over 3 ads x 4 days = 30000 + 1200 + 18
    assert sum(round(float(r["spend"]) * 100) for r in rows) == 31218
    bought = next(r for r in rows if r["ad_id"] == "120210002010001" and r["date_start"] == "2026-02-01")
    assert {a["action_type"]: a["value"] for a in bought["actions"]} == {
        "link_click": "45", "purchase": "2", "offsite_conversion.fb_pixel_purchase": "2"}
    assert {a["action_type"]: a["value"] for a in bought["action_values"]} == {
        "purchase": "156.00", "offsite_conversion.fb_pixel_purchase": "156.00"}


def test_last_page_has_cursors_but_no_next_and_next_carries_the_token(meta) -> None:
    _, url = meta
    first = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params()).json()
    assert set(first["paging"]["cursors"]) == {"before", "after"}
    next_url = httpx.URL(first["paging"]["next"])
    assert next_url.params["access_token"] == TOKEN and next_url.params["after"] == first["paging"]["cursors"]["after"]
    last = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params(limit="12")).json()
    assert len(last["data"]) == 12 and "next" not in last["paging"] and "after" in last["paging"]["cursors"]


def test_fields_time_range_and_bearer_header(meta) -> None:
    _, url = meta
    one_day = json.dumps({"since": "2026-02-02", "until": "2026-02-02"})
    params = insights_params(fields="ad_id,spend", time_range=one_day)
    del params["access_token"]
    body = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=params,
                     headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert len(body["data"]) == 3
    assert all(set(r) == {"ad_id", "spend", "date_start", "date_stop"} for r in body["data"])
    assert {r["date_start"] for r in body["data"]} == {"2026-02-02"}
    empty = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights",
                      params=insights_params(time_range=json.dumps({"since": "2025-01-01", "until": "2025-01-02"})))
    assert empty.json() == {"data": []}


def test_usage_header_on_every_answer(meta) -> None:
    fake, url = meta
    response = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params())
    usage = json.loads(response.headers["x-business-use-case-usage"])
    entry = usage[fake.business_id][0]
    assert entry["type"] == "ads_insights"
    assert set(entry) >= {"call_count", "total_cputime", "total_time", "estimated_time_to_regain_access"}
    fake.usage = {"call_count": 95, "total_cputime": 20, "total_time": 20, "estimated_time_to_regain_access": 0}
    response = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params())
    assert json.loads(response.headers["x-business-use-case-usage"])[fake.business_id][0]["call_count"] == 95


@pytest.mark.parametrize(("code", "status"), [(4, 403), (17, 400), (613, 400), (80004, 400)])
def test_throttling_errors_in_meta_shape(meta, code: int, status: int) -> None:
    fake, url = meta
    fake.throttle(code=code, regain_minutes=7)
    response = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params())
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["type"] == "OAuthException"
    assert error["fbtrace_id"] and "error_subcode" in error and error["message"].startswith(f"(#{code})")
    usage = json.loads(response.headers["x-business-use-case-usage"])[fake.business_id][0]
    assert usage["estimated_time_to_regain_access"] == 7 and usage["call_count"] == 100
    assert httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params()).status_code == 200


def test_invalid_and_expired_tokens_give_code_190(meta) -> None:
    fake, url = meta
    bad = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params(access_token="nope"))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == 190
    assert "invalid_token" in bad.headers["www-authenticate"]
    fake.tokens.expire(TOKEN)
    expired = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params())
    assert expired.json()["error"]["code"] == 190 and expired.json()["error"]["error_subcode"] == 463


def test_expired_token_fault_and_bad_requests(meta) -> None:
    fake, url = meta
    fake.faults.expired_token()
    response = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params())
    assert (response.status_code, response.json()["error"]["code"]) == (400, 190)
    unknown = httpx.get(f"{url}/{V}/act_999/insights", params=insights_params())
    assert unknown.json()["error"]["code"] == 100 and unknown.json()["error"]["error_subcode"] == 33
    bad_field = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params(fields="spend,bogus"))
    assert bad_field.status_code == 400 and "bogus" in bad_field.json()["error"]["message"]
    bad_range = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params(time_range="{oops"))
    assert bad_range.json()["error"]["code"] == 100
    no_level = insights_params()
    del no_level["level"]
    assert httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=no_level).json()["error"]["code"] == 100


def test_too_much_data_for_a_sync_call(meta) -> None:
    fake, url = meta
    fake.max_sync_rows = 10
    response = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params())
    assert response.json()["error"]["error_subcode"] == 1487534


def test_async_report_run_polls_to_completion_then_pages(meta) -> None:
    fake, url = meta
    fake.max_sync_rows = 1  # the async path is not limited
    run = httpx.post(f"{url}/{V}/act_{ACCOUNT}/insights", params=insights_params())
    run_id = run.json()["report_run_id"]
    not_ready = httpx.get(f"{url}/{V}/{run_id}/insights", params={"access_token": TOKEN})
    assert not_ready.status_code == 400
    seen = []
    for _ in range(4):
        status = httpx.get(f"{url}/{V}/{run_id}", params={"access_token": TOKEN}).json()
        seen.append((status["async_status"], status["async_percent_completion"]))
    assert seen == [("Job Not Started", 0), ("Job Running", 50), ("Job Completed", 100), ("Job Completed", 100)]
    rows, pages = fetch_all(f"{url}/{V}/{run_id}/insights", {"access_token": TOKEN})
    assert pages == 3 and len({(r["ad_id"], r["date_start"]) for r in rows}) == 12


def test_async_report_run_can_fail(meta) -> None:
    fake, url = meta
    fake.job_script = [("Job Running", 10), ("Job Failed", 10)]
    run_id = httpx.post(f"{url}/{V}/act_{ACCOUNT}/insights", data=insights_params()).json()["report_run_id"]
    statuses = [httpx.get(f"{url}/{V}/{run_id}", params={"access_token": TOKEN}).json()["async_status"]
                for _ in range(3)]
    assert statuses == ["Job Running", "Job Failed", "Job Failed"]


def test_late_attribution_changes_a_refetched_row(meta) -> None:
    fake, url = meta
    params = insights_params(time_range=json.dumps({"since": "2026-02-01", "until": "2026-02-01"}))
    before = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=params).json()["data"]
    row = next(r for r in before if r["ad_id"] == "120210001010001")
    assert "action_values" not in row  # no purchase yet that day
    fake.update_row("120210001010001", "2026-02-01", purchases=3, value_cents=23400)
    after = httpx.get(f"{url}/{V}/act_{ACCOUNT}/insights", params=params).json()["data"]
    row = next(r for r in after if r["ad_id"] == "120210001010001")
    assert {a["action_type"]: a["value"] for a in row["actions"]}["purchase"] == "3"
    values = {a["action_type"]: a["value"] for a in row["action_values"]}
    assert values["offsite_conversion.fb_pixel_purchase"] == values["purchase"] == "234.00"
    assert row["spend"] == "25.00"  # untouched
