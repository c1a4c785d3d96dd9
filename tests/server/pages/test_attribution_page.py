"""The Growth page "Attribution" in real Chromium shows the API's numbers: a bar per model in every channel of the
grouped chart and every cell of the table equal /api/attribution's answer, for the default question and for one
chosen in the form (kept in the URL, so a reload asks it again)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest


def table_values(page) -> dict[str, list]:
    raw = page.evaluate("""Object.fromEntries([...document.querySelectorAll('#attribution-table tbody tr')].map(
        (tr) => [tr.dataset.key, [...tr.children].filter((td) => td.dataset.value !== undefined)
                                                .map((td) => td.dataset.value)]))""")
    return {key: [json.loads(v) for v in values] for key, values in raw.items()}


def expected_rows(api: dict) -> dict[str, list]:
    return {row["channel"]: [v for m in api["models"] for v in
                             (row["models"][m["model"]]["conversions"], row["models"][m["model"]]["share"],
                              row["models"][m["model"]]["value"])] for row in api["comparison"]}


def chart(page) -> list[list[float]]:
    return page.evaluate("Chart.getChart(document.getElementById('attribution-chart')).data.datasets"
                         ".map((d) => d.data)")


def check(page, api: dict) -> None:
    assert list(table_values(page)) == [row["channel"] for row in api["comparison"]]
    for channel, values in expected_rows(api).items():
        assert table_values(page)[channel] == pytest.approx(values), channel
    assert chart(page) == [[row["models"][m["model"]]["conversions"] for row in api["comparison"]]
                           for m in api["models"]]
    labels = page.evaluate("Chart.getChart(document.getElementById('attribution-chart')).data.labels")
    assert labels == [row["label"] for row in api["comparison"]]


def test_attribution_page_shows_the_api_comparison(logged_in, live_server, read_api, wait_ready, monitor,
                                                   screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/growth/attribution?range=90d")
    wait_ready(page)
    api = read_api.get("/api/attribution", params={"range": "90d"}).json()
    assert api["conversions"] > 0 and len(api["models"]) == 6
    check(page, api)
    screenshot(page, "growth_attribution")

    page.select_option("#attribution-model", "markov")
    page.select_option("#attribution-conversion", "Signed Up")
    page.fill("#attribution-lookback", "7")
    before = page.evaluate("document.getElementById('updated').dataset.refreshes")
    page.click("#attribution-apply")
    page.wait_for_function(f"document.getElementById('updated').dataset.refreshes !== '{before}'")
    wait_ready(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"range": ["90d"], "model": ["markov"], "conversion": ["Signed Up"], "lookback_days": ["7"]}
    api = read_api.get("/api/attribution", params={"range": "90d", "model": "markov", "conversion": "Signed Up",
                                                   "lookback_days": 7}).json()
    check(page, api)
    assert len(chart(page)) == 1

    page.reload()
    wait_ready(page)
    assert page.input_value("#attribution-model") == "markov"
    assert page.input_value("#attribution-lookback") == "7"
    check(page, api)
    monitor.assert_clean()
