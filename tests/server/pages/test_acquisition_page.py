"""The Growth page "Acquisition and budget" in real Chromium shows the API's numbers: every cell of the channel table
equals /api/aarrr/acquisition's answer for the range (and another range picked), the budget advice equals
/api/budget's for the default total and for one typed in (kept in the URL, fetched alone), and a bad total shows
the API's 422 message naming the field while the channel table stays."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

COLUMNS = {
    "spend": lambda r: r["kpis"]["ad_spend"]["value"],
    "budget": lambda r: r["budget"],
    "utilisation": lambda r: r["utilisation"],
    "remaining": lambda r: r["remaining"],
    "impressions": lambda r: r["impressions"],
    "clicks": lambda r: r["clicks"],
    "ctr": lambda r: r["kpis"]["ctr"]["value"],
    "signups": lambda r: r["signups"],
    "conversions": lambda r: r["kpis"]["orders"]["value"],
    "conversion_rate": lambda r: r["kpis"]["conversion_rate"]["value"],
    "cpa": lambda r: r["kpis"]["ncac"]["value"],
    "cost_per_conversion": lambda r: r["cost_per_conversion"],
    "user_quality": lambda r: r["user_quality"],
    "ltv": lambda r: r["ltv"],
    "roas": lambda r: r["kpis"]["platform_roas"]["value"],
}


def channel_table(page) -> dict[str, dict[str, str | None]]:
    """channel -> column key -> the cell's data-value (None when the cell has none, i.e. no value)."""
    return page.evaluate("""(() => {
        const keys = [...document.querySelectorAll('#acquisition-table thead th')].map((th) => th.dataset.key);
        return Object.fromEntries([...document.querySelectorAll('#acquisition-table tbody tr')].map((tr) => [
            tr.dataset.key,
            Object.fromEntries([...tr.children].map((td, i) => [keys[i], td.dataset.value ?? null]))]));
    })()""")


def check_channels(page, api: dict) -> None:
    shown = channel_table(page)
    assert set(shown) == {r["channel"] for r in api["rows"]}
    for row in api["rows"]:
        cells = shown[row["channel"]]
        assert cells["group"] == row["group"]
        for key, value in COLUMNS.items():
            expected = value(row)
            if expected is None:
                assert cells[key] is None, (row["channel"], key)
            else:
                assert float(cells[key]) == pytest.approx(expected), (row["channel"], key)


def budget_table(page) -> dict[str, list[float]]:
    raw = page.evaluate("""Object.fromEntries([...document.querySelectorAll('#budget-table tbody tr')].map(
        (tr) => [tr.dataset.key, [...tr.children].filter((td) => td.dataset.value !== undefined)
                                                .map((td) => td.dataset.value)]))""")
    return {key: [json.loads(v) for v in values] for key, values in raw.items()}


def check_budget(page, advice: dict) -> None:
    expected = {c["channel"]: [c["current_spend"], c["recommended_spend"], c["recommended_spend"] - c["current_spend"],
                               c["marginal_current"], c["marginal_recommended"], c["effect"], c["effect_low"],
                               c["effect_high"]] for c in advice["channels"]}
    shown = budget_table(page)
    assert list(shown) == [c["channel"] for c in advice["channels"]]
    for channel, values in expected.items():
        assert shown[channel] == pytest.approx(values), channel
    datasets = page.evaluate("Chart.getChart(document.getElementById('budget-chart')).data.datasets.map((d) => d.data)")
    assert datasets == [[c["current_spend"] for c in advice["channels"]],
                        [c["recommended_spend"] for c in advice["channels"]]]
    headline = page.inner_text("#budget-headline")
    assert f"{advice['effect']:+.2f}" in headline and f"{advice['effect_low']:+.2f}" in headline
    assert f"{advice['effect_high']:+.2f}" in headline
    rejected = page.locator("#budget-rejected li").all_inner_texts()
    if advice["rejected"]:
        assert rejected == [f"{r['channel']}: {r['reason']}" for r in advice["rejected"]]
    else:
        assert len(rejected) == 1 and rejected[0].startswith("None")
    assert page.locator("#budget-error").is_hidden()


def submit_total(page, total: str) -> None:
    before = page.get_attribute("#budget-section", "data-refreshes")
    page.fill("#budget-total", total)
    page.click("#budget-apply")
    page.wait_for_function(f"document.getElementById('budget-section').dataset.refreshes !== '{before}'")


def test_acquisition_page_shows_the_api_table_and_advice(logged_in, live_server, read_api, wait_ready, monitor,
                                                         screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/growth/acquisition")
    wait_ready(page)
    api = read_api.get("/api/aarrr/acquisition", params={"range": "30d"}).json()
    check_channels(page, api)
    meters = page.locator("#acquisition-table meter")
    assert meters.count() == sum(1 for r in api["rows"] if r["utilisation"] is not None) == 2
    assert "remaining" in page.inner_text("#acquisition-headline")
    page.wait_for_function("document.getElementById('budget-section').dataset.state === 'ready'")
    advice = read_api.get("/api/budget", timeout=120).json()
    check_budget(page, advice)
    screenshot(page, "growth_acquisition")

    page.click("#range-picker button[value='90d']")
    page.wait_for_function("new URL(location.href).searchParams.get('range') === '90d'")
    wait_ready(page)
    page.wait_for_function("document.querySelector('#acquisition-headline').textContent !== ''")
    api90 = read_api.get("/api/aarrr/acquisition", params={"range": "90d"}, timeout=120).json()
    page.wait_for_function("document.body.dataset.state === 'ready'")
    check_channels(page, api90)

    total = round(advice["total"] * 1.2, 2)
    fetched_before = sum("/api/aarrr/acquisition" in url for url in monitor.requests)
    submit_total(page, str(total))
    assert page.get_attribute("#budget-section", "data-state") == "ready"
    assert parse_qs(urlsplit(page.url).query) == {"range": ["90d"], "total": [str(total)]}
    assert any("/api/budget" in url and f"total={total}" in url for url in monitor.requests)
    assert sum("/api/aarrr/acquisition" in url for url in monitor.requests) == fetched_before  # advice alone
    more = read_api.get("/api/budget", params={"total": total}, timeout=120).json()
    assert more["total"] == pytest.approx(total)
    check_budget(page, more)

    page.reload()
    wait_ready(page)
    page.wait_for_function("document.getElementById('budget-section').dataset.state === 'ready'")
    assert page.input_value("#budget-total") == str(total)
    check_budget(page, more)
    monitor.assert_clean()


def test_a_bad_total_shows_the_422_message(logged_in, live_server, read_api, wait_ready):
    page = logged_in
    page.goto(f"{live_server.url}/growth/acquisition")
    wait_ready(page)
    page.wait_for_function("document.getElementById('budget-section').dataset.state === 'ready'")
    response = read_api.get("/api/budget", params={"total": "-5"}, timeout=120)
    assert response.status_code == 422
    detail = response.json()["detail"]
    submit_total(page, "-5")
    assert page.get_attribute("#budget-section", "data-state") == "error"
    error = page.locator("#budget-error")
    assert error.is_visible()
    text = error.inner_text()
    assert detail in text and "total" in text and "HTTP 422" in text
    assert page.locator("#budget-table tbody tr").count() == 0
    assert page.evaluate("document.body.dataset.state") == "ready"  # the channel table is still there
    assert page.locator("#acquisition-table tbody tr").count() > 0
