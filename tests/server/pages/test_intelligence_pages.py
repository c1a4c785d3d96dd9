"""The growth-intelligence pages in real Chromium show the API's answers: alert cards (acknowledged and resolved
from the page by an admin, updated live when another client acknowledges), snapshots and their diff (health
score, metrics, ranked insights; a snapshot taken from the page), and the net revenue forecast bands and anomaly
markers on the summary's chart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest

from growthos.server.pages.dashboard import PAGES

# Rules that fire on the demo's last week (revenue and conversion rose): two alerts to act on.
RISE_RULES = [
    {"name": "page_test_revenue_rise", "kind": "net_revenue_drop", "params": {"direction": "spike", "threshold": 0.01},
     "severity": "critical"},
    {"name": "page_test_conversion_rise", "kind": "conversion_rate_drop",
     "params": {"direction": "spike", "threshold": 0.01}},
]


@pytest.fixture(scope="module")
def admin_api(live_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, headers=live_server.auth("admin"), timeout=60) as client:
        yield client


@pytest.fixture
def admin_page(page, live_server, wait_ready):
    page.goto(f"{live_server.url}/login?token={live_server.keys['admin']}")
    wait_ready(page)
    return page


def cells(page, selector: str) -> list[list[str]]:
    return page.evaluate(f"""[...document.querySelectorAll('{selector} tbody tr')].map(
        (tr) => [...tr.children].map((td) => td.textContent.trim()))""")


def card_texts(page) -> dict[int, dict[str, str]]:
    return {int(key): value for key, value in page.evaluate("""Object.fromEntries(
        [...document.querySelectorAll('#alert-list .alert-card')].map((card) => [card.dataset.alertId, {
          status: card.dataset.status,
          rule: card.querySelector('.alert-rule').textContent,
          severity: card.querySelector('.severity-badge').textContent,
          message: card.querySelector('[data-role=message]').textContent,
          recommendation: card.querySelector('[data-role=recommendation]')?.textContent ?? '',
          buttons: [...card.querySelectorAll('button')].map((b) => b.textContent).join(','),
        }]))""").items()}


@pytest.fixture(scope="module")
def planted_alerts(admin_api) -> Iterator[list[dict]]:
    """Two alerts of rules made to fire on the demo; the rules are deleted afterwards."""
    for rule in RISE_RULES:
        response = admin_api.post("/api/alerts/rules", json=rule)
        assert response.status_code == 201, response.text
    try:
        report = admin_api.post("/api/alerts/evaluate")
        assert report.status_code == 200, report.text
        fired = {r["rule"]: r["alert_id"] for r in report.json()["rules"] if r["status"] == "new"}
        assert {r["name"] for r in RISE_RULES} <= set(fired), report.json()
        yield [admin_api.get(f"/api/alerts/{fired[r['name']]}").json() for r in RISE_RULES]
    finally:
        for rule in RISE_RULES:
            admin_api.delete(f"/api/alerts/rules/{rule['name']}")


def test_alert_cards_show_the_api_alerts_and_update_live(planted_alerts, logged_in, live_server, read_api,
                                                          admin_api, monitor, wait_ready, screenshot):
    page = logged_in  # a read session: no buttons
    page.goto(f"{live_server.url}/alerts")
    wait_ready(page)
    api = read_api.get("/api/alerts", params={"status": "active", "limit": 200}).json()
    shown = card_texts(page)
    assert set(shown) == {a["id"] for a in api["alerts"]}
    for alert in api["alerts"]:
        card = shown[alert["id"]]
        assert card["status"] == alert["status"] and card["rule"] == alert["rule"]
        assert card["severity"] == alert["severity"] and card["message"] == alert["message"]
        assert card["recommendation"] == (f"Recommendation: {alert['recommendation']}" if alert["recommendation"]
                                          else "")
        assert card["buttons"] == ""
    counts = api["counts"]
    assert page.locator("#alert-counts").inner_text() == (
        f"{counts['open']} open · {counts['acknowledged']} acknowledged · {counts['resolved']} resolved")
    rules = read_api.get("/api/alerts/rules").json()["rules"]
    assert [row[0] for row in cells(page, "#rules-table")] == [r["name"] for r in rules]

    # Another client acknowledges: the event stream updates the open page.
    page.wait_for_function("document.body.dataset.stream === 'open'")
    second = planted_alerts[1]
    assert admin_api.post(f"/api/alerts/{second['id']}/ack").status_code == 200
    page.wait_for_selector(f".alert-card[data-alert-id='{second['id']}'][data-status=acknowledged]")
    screenshot(page, "alerts_read_session")
    monitor.assert_clean()


def test_an_admin_acknowledges_and_resolves_from_the_page(planted_alerts, admin_page, live_server, admin_api,
                                                          monitor, wait_ready, screenshot):
    page = admin_page
    first = planted_alerts[0]
    page.goto(f"{live_server.url}/alerts")
    wait_ready(page)
    card = page.locator(f".alert-card[data-alert-id='{first['id']}']")
    assert card.get_attribute("data-status") == "open"
    assert card.locator(".severity-badge").inner_text().lower() == "critical"
    screenshot(page, "alerts_admin")

    card.get_by_role("button", name="Acknowledge").click()
    page.wait_for_selector(f".alert-card[data-alert-id='{first['id']}'][data-status=acknowledged]")
    assert admin_api.get(f"/api/alerts/{first['id']}").json()["status"] == "acknowledged"
    assert card.get_by_role("button", name="Acknowledge").count() == 0

    card.get_by_role("button", name="Resolve").click()
    card.wait_for(state="detached")  # resolved alerts leave the active list
    resolved = admin_api.get(f"/api/alerts/{first['id']}").json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"]

    page.select_option("#filter-status", "resolved")
    page.wait_for_selector(f".alert-card[data-alert-id='{first['id']}'][data-status=resolved]")
    assert "status=resolved" in page.url
    monitor.assert_clean()


def test_snapshots_diff_matches_the_api_and_a_snapshot_is_taken_from_the_page(
    admin_page, live_server, admin_api, monitor, wait_ready, screenshot
):
    page = admin_page
    for period, end in (("week", "2026-01-25"), ("week", "2026-02-01"), ("day", "2026-02-08")):
        # the day: builds store the last complete day (02-09), so its previous day must be there for a default pair
        response = admin_api.post("/api/snapshots", json={"period": period, "end": end})
        assert response.status_code == 201, response.text
    page.goto(f"{live_server.url}/snapshots")
    wait_ready(page)
    before = admin_api.get("/api/snapshots").json()["snapshots"]

    # Take the latest complete week from the page.
    page.select_option("#snapshot-period", "week")
    refreshes = page.locator("#updated").get_attribute("data-refreshes")
    page.click("#take-snapshot")
    page.wait_for_function(f"document.querySelector('#updated').dataset.refreshes !== '{refreshes}'")
    wait_ready(page)
    snapshots = admin_api.get("/api/snapshots").json()["snapshots"]
    assert len(snapshots) == len(before) + 1
    assert [int(row[0]) for row in cells(page, "#snapshots-table")] == [s["id"] for s in snapshots]

    # The default pair, as the API's default diff: the snapshot of the latest period (the newest taken of it)
    # against one of the period before it. The server is shared with other tests, whose snapshots count too.
    diff = admin_api.get("/api/snapshots/diff").json()
    newest_first = sorted(snapshots, key=lambda s: (s["period_end"], s["taken_at"], s["id"]), reverse=True)
    latest = newest_first[0]
    before = next(s for s in newest_first
                  if s["period_kind"] == latest["period_kind"] and s["period_end"] < latest["period_start"])
    assert (diff["a"]["id"], diff["b"]["id"]) == (before["id"], latest["id"])
    check_diff(page, diff)
    screenshot(page, "snapshots_diff")

    # Another base: the oldest of the three weeks.
    oldest = next(s for s in snapshots if s["period_end"] == "2026-01-25")
    page.check(f"input[name=a][value='{oldest['id']}']")
    page.wait_for_function(f"document.getElementById('diff-pair').textContent.startsWith('A: #{oldest['id']} ')")
    wait_ready(page)
    assert f"a={oldest['id']}" in page.url
    diff = admin_api.get("/api/snapshots/diff", params={"a": oldest["id"], "b": "latest"}).json()
    check_diff(page, diff)

    # A breakdown: the customer segments' average order value in A and B, as the diff gives them.
    page.select_option("#breakdown-by", "segment")
    page.select_option("#breakdown-metric", "aov")
    assert "by=segment" in page.url and "metric=aov" in page.url
    segments = diff["breakdowns"]["segment"]["rows"]
    assert {r["key"] for r in segments} == {"new", "returning"}
    assert cells(page, "#breakdown-table") == [
        [r["label"], f"${r['a']['aov']:,.2f}", f"${r['b']['aov']:,.2f}", money_change(r["change"]["aov"]),
         f"{r['relative_change']['aov'] * 100:+.1f}%"] for r in segments]
    page.select_option("#breakdown-by", "feature_usage")
    features = [r["label"] for r in diff["breakdowns"]["feature_usage"]["rows"]]
    assert features and [row[0] for row in cells(page, "#breakdown-table")] == features
    assert page.locator("#breakdown-metric").input_value() == "users"
    screenshot(page, "snapshots_breakdown")
    monitor.assert_clean()


def money_change(value: float) -> str:
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def check_diff(page, diff: dict) -> None:
    assert page.locator("#health-score").inner_text() == str(diff["health"]["score"])
    assert page.locator("#health-formula").inner_text() == diff["health"]["formula"]
    rows = cells(page, "#diff-table")
    assert [row[0] for row in rows] == [m["label"] for m in diff["metrics"]]
    trends = page.evaluate("[...document.querySelectorAll('#diff-table tbody tr')].map((tr) => tr.dataset.trend)")
    assert trends == [m["trend"] for m in diff["metrics"]]
    for row, metric in zip(rows, diff["metrics"], strict=True):
        q = metric["q_value"]
        assert row[5] == ("—" if q is None else "<0.0001" if q < 0.0001 else f"{q:#.2g}")
        assert row[4].endswith(metric["trend"])
        if metric["basis"] == "test":
            assert row[6] == ("significant (q < 0.05)" if metric["significant"] else "not significant")
    colours = page.evaluate("""[...document.querySelectorAll('#diff-table tbody tr')].map(
        (tr) => tr.querySelector('.change').dataset.trend)""")
    expected = [{"improving": "good", "declining": "bad"}.get(m["trend"], "neutral") if m["change"] else "none"
                for m in diff["metrics"]]
    assert colours == expected
    headlines = page.locator("#insights .insight-headline").all_inner_texts()
    assert headlines == [f"{i['trend']} {i['headline']}" for i in diff["insights"]]
    assert page.locator("#insights .insight-recommendation").all_inner_texts() == [
        i["recommendation"] for i in diff["insights"]]


def test_summary_chart_has_forecast_bands_after_the_last_day(logged_in, live_server, read_api, monitor, wait_ready,
                                                            screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/?range=30d")
    wait_ready(page)
    page.wait_for_selector("#revenue-chart[data-overlay=ready]")
    series = read_api.get("/api/metrics/timeseries", params={"range": "30d", "metrics": "net_revenue",
                                                             "interval": "day"}).json()
    forecast = read_api.get("/api/forecast", params={"metric": "net_revenue", "horizon": 28}).json()
    assert forecast["history_to"] == series["dates"][-1]
    assert page.get_attribute("#revenue-chart", "data-forecast") == "shown"
    chart = page.evaluate("""(() => { const c = Chart.getChart(document.getElementById('revenue-chart'));
        return {labels: c.data.labels.length, sets: Object.fromEntries(c.data.datasets.filter((d) => d.kind)
          .map((d) => [d.kind, {data: d.data, fill: d.fill}]))}; })()""")
    days = len(series["dates"])
    assert chart["labels"] == days + forecast["horizon"]
    for kind, key in (("band-95-upper", "upper_95"), ("band-95-lower", "lower_95"), ("band-80-upper", "upper_80"),
                      ("band-80-lower", "lower_80"), ("forecast", "forecast")):
        data = chart["sets"][kind]["data"]
        assert data[:days] == [None] * days
        assert data[days:] == pytest.approx([p[key] for p in forecast["points"]])
    assert chart["sets"]["band-95-upper"]["fill"] == "+1" and chart["sets"]["band-80-upper"]["fill"] == "+1"
    screenshot(page, "summary_forecast_bands")
    monitor.assert_clean()


def test_summary_chart_marks_the_anomalous_days(logged_in, live_server, read_api, monitor, wait_ready, screenshot):
    first = read_api.get("/api/anomalies", params={"range": "180d", "metric": "net_revenue"}).json()["anomalies"]
    if not first:
        pytest.skip("the demo shows no net revenue anomaly in 180 days")
    day = date.fromisoformat(first[0]["day"])
    start, end = day - timedelta(days=10), day + timedelta(days=10)
    api = read_api.get("/api/anomalies", params={"from": str(start), "to": str(end), "metric": "net_revenue"}).json()
    page = logged_in
    page.goto(f"{live_server.url}/?from={start}&to={end}")
    wait_ready(page)
    page.wait_for_selector("#revenue-chart[data-overlay=ready]")
    assert page.get_attribute("#revenue-chart", "data-forecast") == "none"  # the range ends before the last day
    markers = page.evaluate("""Chart.getChart(document.getElementById('revenue-chart')).data.datasets
        .find((d) => d.kind === 'anomalies').data""")
    series = read_api.get("/api/metrics/timeseries", params={"from": str(start), "to": str(end),
                                                             "metrics": "net_revenue", "interval": "day"}).json()
    expected = {a["day"]: a["value"] for a in api["anomalies"]}
    assert expected
    assert markers == pytest.approx([expected.get(d) for d in series["dates"]])
    assert page.get_attribute("#revenue-chart", "data-anomalies") == str(len(expected))
    screenshot(page, "summary_anomaly_markers")
    monitor.assert_clean()


def test_weekly_review_shows_the_api_review_and_copies_its_markdown(
    browser_context, logged_in, live_server, read_api, monitor, wait_ready, screenshot
):
    page = logged_in
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/wbr")
    wait_ready(page)
    review = read_api.get("/api/wbr").json()
    markdown = read_api.get("/api/wbr", params={"format": "markdown", "week_end": review["week_end"]}).text
    fragment = read_api.get("/api/wbr", params={"format": "html", "fragment": "true",
                                                "week_end": review["week_end"]}).text
    assert page.input_value("#wbr-week") == review["week_end"]
    report = page.locator("#wbr-report")
    assert report.locator("h3").inner_text() == review["title"]
    assert report.locator("h4").all_inner_texts() == [s["title"] for s in review["sections"]]
    # Every fact of the API's HTML is shown with its text and source.
    facts = page.evaluate("""[...document.querySelectorAll('#wbr-report .fact')].map(
        (f) => [f.dataset.fact, f.textContent, f.dataset.source])""")
    assert facts and len(facts) == fragment.count('class="fact"')
    by_id = {f["id"]: f for f in review["facts"]}
    assert all(by_id[fid]["text"] == text and by_id[fid]["source"] == source for fid, text, source in facts)
    assert [row[0] for row in cells(page, "#facts-table")] == [f["id"] for f in review["facts"]]
    assert page.locator("#wbr-report script, #wbr-report style").count() == 0

    page.click("#wbr-copy")
    page.wait_for_selector("#wbr-copy[data-copied]")
    assert page.get_attribute("#wbr-copy", "data-copied") == "clipboard"
    assert page.evaluate("navigator.clipboard.readText()") == markdown
    screenshot(page, "wbr")

    # The week before, from the picker's button; the URL keeps it.
    refreshes = page.locator("#updated").get_attribute("data-refreshes")
    page.click("#wbr-previous")
    page.wait_for_function(f"document.querySelector('#updated').dataset.refreshes !== '{refreshes}'")
    wait_ready(page)
    before = read_api.get("/api/wbr", params={"week_end": review["previous_end"]}).json()
    assert page.input_value("#wbr-week") == before["week_end"] == review["previous_end"]
    assert "week_end=" in page.url
    assert page.locator("#wbr-report h3").inner_text() == before["title"]
    monitor.assert_clean()


COUNT_STREAMS = """(() => {
  window.__streams = 0;
  const Original = window.EventSource;
  window.EventSource = class extends Original {
    constructor(...args) { super(...args); window.__streams += 1; }
  };
})();"""


@pytest.mark.parametrize("path", [p.path for p in PAGES])
def test_every_page_tells_of_anomalies_and_new_alerts_on_one_stream(logged_in, live_server, monitor, wait_ready,
                                                                     path):
    page = logged_in
    page.add_init_script(COUNT_STREAMS)
    page.goto(f"{live_server.url}{path}")
    wait_ready(page)
    page.wait_for_function("document.body.dataset.stream === 'open'")
    assert page.evaluate("window.__streams") == 1
    hub = live_server.app.state.growthos.events
    hub.publish("anomaly_detected", {"metric": "orders", "label": "Orders", "day": "2026-02-03", "direction": "down",
                                     "score": -4.6})
    hub.publish("alert_fired", {"id": 0, "rule": "page_test_rule", "severity": "warning",
                                "message": "Orders fell 40% against the trailing average"})
    toasts = page.locator(".toast")
    toasts.filter(has_text="Anomaly").wait_for()
    toasts.filter(has_text="New warning alert").wait_for()
    assert set(toasts.all_inner_texts()) >= {
        "Anomaly: Orders on Feb 3 (below expected, score -4.6)",
        "New warning alert: Orders fell 40% against the trailing average"}
    monitor.assert_clean()
