"""The Growth pages "AARRR funnel" and "Activation" in real Chromium show the API's numbers: every stage's people
and rates, the referral and revenue figures, the activation cards, each definition's reach, and the onboarding
funnel with the bottleneck the API finds highlighted and its recommendation shown. The activation page is read on
the two weeks around the demo's broken Android release (2025-11-16..29), where the bottleneck is step 3."""

from __future__ import annotations

import json

import pytest

RELEASE = {"from": "2025-11-16", "to": "2025-11-29"}


def row_values(page, table: str) -> dict[str, list]:
    """Row key -> the data-value of each cell that has one (numbers as the API gave them)."""
    raw = page.evaluate(f"""Object.fromEntries([...document.querySelectorAll('#{table} tbody tr')].map((tr) => [
        tr.dataset.key, [...tr.children].filter((td) => td.dataset.value !== undefined)
                                        .map((td) => td.dataset.value)]))""")
    return {key: [json.loads(v) for v in values] for key, values in raw.items()}


def cards(page) -> dict[str, object]:
    raw = page.evaluate("""Object.fromEntries([...document.querySelectorAll('.kpi-card')].map((card) =>
        [card.dataset.card, card.querySelector('[data-role=value]').dataset.raw]))""")
    return {key: json.loads(value) for key, value in raw.items()}


@pytest.fixture
def open_page(logged_in, live_server, wait_ready):
    def go(path: str, params: dict) -> object:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        logged_in.goto(f"{live_server.url}{path}?{query}")
        wait_ready(logged_in)
        return logged_in
    return go


def test_aarrr_page_shows_the_api_funnel(open_page, read_api, monitor, screenshot):
    page = open_page("/growth/aarrr", {"range": "30d"})
    api = read_api.get("/api/aarrr/funnel", params={"range": "30d"}).json()
    shown = row_values(page, "aarrr-stages")
    assert list(shown) == [s["key"] for s in api["stages"]]
    for s in api["stages"]:
        expected = [v for v in (s["people"], s["rate_from_parent"], s["rate_from_top"], s["pending"]) if v is not None]
        assert shown[s["key"]] == pytest.approx(expected)
    referral = row_values(page, "aarrr-referral")
    assert referral["viral_coefficient"] == pytest.approx([api["referral"]["viral_coefficient"]])
    assert referral["invites_sent"] == [api["referral"]["invites_sent"]]
    assert referral["net_revenue"] == pytest.approx([api["revenue"]["net_revenue"]])
    stage = {s["key"]: s for s in api["stages"]}
    assert cards(page) == pytest.approx({
        "new_people": stage["new_people"]["people"], "signed_up": stage["signed_up"]["people"],
        "activated": stage["activated"]["rate_from_parent"], "retained": stage["retained"]["rate_from_parent"],
        "viral_coefficient": api["referral"]["viral_coefficient"], "new_mrr": api["revenue"]["new_mrr"]})
    assert page.evaluate("Chart.getChart(document.getElementById('aarrr-chart')).data.datasets[0].data") == [
        s["people"] for s in api["stages"]]
    screenshot(page, "growth_aarrr")
    monitor.assert_clean()


def test_activation_page_shows_the_api_and_highlights_the_bottleneck(open_page, read_api, monitor, screenshot):
    page = open_page("/growth/activation", RELEASE)
    activation = read_api.get("/api/aarrr/activation", params=RELEASE).json()
    bottlenecks = read_api.get("/api/aarrr/activation/bottlenecks", params=RELEASE).json()
    t = activation["time_to_activate"]
    assert cards(page) == pytest.approx({
        "signups": activation["signups"], "activation_rate": activation["activation_rate"],
        "average_score": activation["average_score"], "median_time": t["median_seconds"],
        "p75_time": t["p75_seconds"]})
    definitions = row_values(page, "activation-definitions")
    for d in activation["definitions"]:
        expected = [v for v in (d["weight"], d["reached"], d["reach_rate"], d["conversion_from_prerequisites"])
                    if v is not None]
        assert definitions[d["name"]] == pytest.approx(expected)

    worst = bottlenecks["bottleneck"]
    assert worst is not None and worst["step"] == 3 and worst["step_name"] == "dietary_preferences"
    assert page.locator("#bottleneck-recommendation").inner_text() == worst["recommendation"]
    assert page.locator("#onboarding-steps tr[data-bottleneck=true]").get_attribute("data-key") == "3"
    assert page.locator("#onboarding-steps tr[data-bottleneck=true] .pill").inner_text() == "bottleneck"
    steps = row_values(page, "onboarding-steps")
    assert steps["0"] == [bottlenecks["people"][0]]
    for tr in bottlenecks["transitions"]:
        assert steps[str(tr["step"])][:3] == pytest.approx([tr["converted"], tr["rate"], tr["previous_rate"]])
    assert len(page.locator("#bottleneck-findings li").all()) == len(bottlenecks["findings"]) - 1
    releases = row_values(page, "release-rates")
    for r in bottlenecks["releases"]:
        assert releases[r["version"]][r["step"] - 1] == pytest.approx(r["rate"])
    flagged = page.evaluate("""[...document.querySelectorAll('#release-rates td[data-flagged=true]')].map(
        (td) => [td.parentElement.dataset.key, td.cellIndex])""")
    assert flagged == [[f["segment"], f["step"]] for f in bottlenecks["findings"] if f["kind"] == "release_drop"]
    assert flagged == [["Android 3.12.0", 3]]  # the demo's broken release, at step 3
    scores = page.evaluate("Chart.getChart(document.getElementById('score-chart')).data.datasets[0].data")
    assert scores == [b["people"] for b in activation["score_distribution"]]
    screenshot(page, "growth_activation")
    monitor.assert_clean()
