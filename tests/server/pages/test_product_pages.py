"""The product pages in real Chromium show the API's answers: trends for the chosen events (kept in the URL), a
funnel built by hand in the builder, the retention cohort grid, and a person found and opened in user lookup."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def cells(page, selector: str) -> list[list[str]]:
    return page.evaluate(f"""[...document.querySelectorAll('{selector} tbody tr')].map(
        (tr) => [...tr.children].map((td) => td.textContent.trim()))""")


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def test_trends_show_the_chosen_events_by_week(logged_in, read_api, live_server, monitor, wait_ready, screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/product/trends?range=30d")
    wait_ready(page)
    page.select_option("#trend-events", ["Signed Up", "Invite Sent"])
    page.select_option("#trend-interval", "week")
    page.fill("#trend-breakdown", "platform")
    refreshes = page.locator("#updated").get_attribute("data-refreshes")
    page.click("#trend-apply")
    page.wait_for_function(f"document.querySelector('#updated').dataset.refreshes !== '{refreshes}'")
    wait_ready(page)
    assert query(page)["events"] == ["Signed Up", "Invite Sent"]
    assert query(page)["interval"] == ["week"] and query(page)["breakdown"] == ["platform"]

    api = read_api.get("/api/product/trends", params=[("events", "Signed Up"), ("events", "Invite Sent"),
                                                      ("interval", "week"), ("breakdown", "platform"),
                                                      ("range", "30d")]).json()
    expected = {f"{s['event']} · {s['value']}": f"{s['total_events']:,}" for s in api["series"]}
    shown = {row[0]: row[1] for row in cells(page, "#trend-table")}
    assert shown == expected
    datasets = page.evaluate("Chart.getChart(document.getElementById('trend-chart')).data.datasets.length")
    assert datasets == len(api["series"])

    features = read_api.get("/api/product/features", params={"range": "30d"}).json()
    assert page.locator("#features-active").inner_text() == f"{features['active']:,}"
    assert [row[:3] for row in cells(page, "#features-table")] == [
        [f["feature"], f"{f['users']:,}", pct(f["adoption"])] for f in features["features"]]
    screenshot(page, "product_trends_by_week")

    page.reload()  # the question survives a reload
    wait_ready(page)
    assert page.eval_on_selector("#trend-events", "(s) => [...s.selectedOptions].map((o) => o.value)") == [
        "Signed Up", "Invite Sent"]
    monitor.assert_clean()


def test_a_funnel_built_by_hand(logged_in, read_api, live_server, monitor, wait_ready, screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/product/funnels?range=30d")
    wait_ready(page)
    assert page.locator("#funnel-empty").is_visible()  # no question yet
    rows = page.locator("#steps li")
    assert rows.count() == 2
    rows.nth(0).locator(".step-event").fill("Signed Up")
    rows.nth(1).locator(".step-event").fill("Onboarding Step Completed")
    rows.nth(1).locator(".step-where").fill("step_name=goals")
    page.click("#add-step")
    rows.nth(2).locator(".step-event").fill("Meal Plan Created")
    rows.nth(2).locator(".step-within").fill("3d")
    page.select_option("#funnel-window", "14d")
    page.click("#add-exclusion")
    page.locator("#exclusions li .exclusion-event").fill("Subscription Cancelled")
    page.fill("#funnel-breakdown", "platform")
    page.click("#funnel-apply")
    page.locator("#funnel-results").wait_for(state="visible")
    wait_ready(page)
    page.wait_for_function("document.querySelectorAll('#funnel-table tbody tr').length === 3")

    assert query(page)["steps"] == ["Signed Up", "Onboarding Step Completed", "Meal Plan Created"]
    assert query(page)["within"] == ["3=3d"] and query(page)["where"] == ["2:step_name=goals"]
    assert query(page)["exclude"] == ["Subscription Cancelled:1-2"]
    body = {"steps": [{"event": "Signed Up"}, {"event": "Onboarding Step Completed", "where": {"step_name": "goals"}},
                      {"event": "Meal Plan Created", "within": "3d"}],
            "window": "14d", "exclusions": [{"event": "Subscription Cancelled", "after_step": 1, "before_step": 2}],
            "breakdown": "platform", "range": "30d"}
    api = read_api.post("/api/product/funnel", json=body).json()
    shown = cells(page, "#funnel-table")
    assert [row[2] for row in shown] == [f"{s['people']:,}" for s in api["total"]["steps"]]
    assert [row[3] for row in shown] == [pct(s["conversion_from_previous"]) for s in api["total"]["steps"]]
    assert [row[7] for row in shown] == [f"{s['in_progress']:,}" for s in api["total"]["steps"]]
    assert api["total"]["steps"][2]["people"] > 0
    assert [row[0] for row in cells(page, "#breakdown-table")] == [g["value"] for g in api["groups"]]
    screenshot(page, "product_funnel_built")

    page.reload()  # the funnel lives in the URL
    wait_ready(page)
    assert page.locator("#steps li .step-event").evaluate_all("(inputs) => inputs.map((i) => i.value)") == [
        "Signed Up", "Onboarding Step Completed", "Meal Plan Created"]
    assert [row[2] for row in cells(page, "#funnel-table")] == [f"{s['people']:,}" for s in api["total"]["steps"]]
    monitor.assert_clean()


def test_retention_grid_shows_the_api_rates(logged_in, read_api, live_server, monitor, wait_ready, screenshot):
    page = logged_in
    url = (f"{live_server.url}/product/retention?range=90d&start_event=Signed+Up&return_event=Application+Opened"
           "&interval=week&periods=6")
    page.goto(url)
    wait_ready(page)
    api = read_api.get("/api/product/retention", params={
        "range": "90d", "start_event": "Signed Up", "return_event": "Application Opened", "interval": "week",
        "periods": 6}).json()
    shown = cells(page, "#retention-grid")
    assert len(shown) == len(api["cohorts"]) + 1
    for row, cohort in zip(shown, [*api["cohorts"], api["overall"]], strict=True):
        assert row[1] == f"{cohort['size']:,}"
        assert row[2:] == [pct(p["rate"]) if p["rate"] is not None else "" for p in cohort["periods"]]
    assert shown[-1][0] == "All cohorts"
    screenshot(page, "product_retention")
    monitor.assert_clean()


@pytest.mark.parametrize("search", ["ava", "AVA.CHEN"])
def test_user_lookup_finds_and_opens_a_person(search, logged_in, read_api, live_server, monitor, wait_ready,
                                              screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/product/users")
    wait_ready(page)
    assert not page.locator("#matches").is_visible() and not page.locator("#profile").is_visible()
    page.fill("#user-query", search)
    page.click("#user-search-apply")
    page.locator("#users-table").wait_for(state="visible")
    found = read_api.get("/api/product/users", params={"q": search, "limit": 20}).json()["users"]
    assert found
    page.wait_for_function(f"document.querySelectorAll('#users-table tbody tr').length === {len(found)}")
    assert [row[0] for row in cells(page, "#users-table")] == [u["person_id"] for u in found]

    page.locator("#users-table tbody tr").first.locator("button").click()
    page.locator("#profile").wait_for(state="visible")
    wait_ready(page)
    profile = read_api.get(f"/api/product/users/{found[0]['person_id']}").json()
    assert query(page)["user"] == [found[0]["person_id"]]
    facts = page.locator("#profile-facts dd").all_inner_texts()
    assert facts[0] == ", ".join(profile["ids"]) and facts[3] == f"{profile['total_events']:,}"
    assert page.locator("#profile-features .chip").all_inner_texts() == profile["features_used"]
    assert len(cells(page, "#profile-recent")) == len(profile["recent_events"])
    screenshot(page, f"product_user_{search}")

    page.go_back()  # to the search without a profile
    page.locator("#profile").wait_for(state="hidden")
    assert "user" not in query(page) and query(page)["q"] == [search]
    monitor.assert_clean()
