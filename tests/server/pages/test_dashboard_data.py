"""The pages show the API's numbers: KPI cards for the default, a preset and a custom range (kept in the URL),
the channel table sorted both ways, jobs filtered, and a refetch when a build finishes (server-sent event)."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from growthos.metrics.catalogue import CATALOGUE
from growthos.metrics.format import format_change, format_value
from growthos.server.pages.dashboard import SUMMARY_KPIS

# The trend colours of app.css: green when the change is good, red when bad, grey when neutral or none.
TREND_COLOURS = {"good": "rgb(19, 122, 58)", "bad": "rgb(180, 35, 24)", "neutral": "rgb(86, 97, 115)",
                 "none": "rgb(86, 97, 115)"}

CARDS_JS = """() => Object.fromEntries([...document.querySelectorAll('.kpi-card')].map((card) => {
  const trend = card.querySelector('[data-role=trend]');
  return [card.dataset.metric, {
    value: card.querySelector('[data-role=value]').textContent,
    change: card.querySelector('[data-role=change]').textContent,
    trend: trend.dataset.trend,
    colour: getComputedStyle(trend).color,
  }];
}))"""


def expected_trend(polarity: str, change: float | None) -> str:
    """Up is good: green when rising; down is good: green when falling; neutral: grey."""
    if not change:
        return "none"
    if polarity == "neutral":
        return "neutral"
    return "good" if (change > 0) == (polarity == "up") else "bad"


def assert_cards_match_api(page, read_api: httpx.Client, currency: str, **params: str) -> None:
    summary = read_api.get("/api/metrics/summary", params={**params, "metrics": ",".join(SUMMARY_KPIS)}).json()
    shown = page.evaluate(CARDS_JS)
    assert list(shown) == list(SUMMARY_KPIS)
    for name in SUMMARY_KPIS:
        metric, kpi = CATALOGUE[name], summary["kpis"][name]
        trend = expected_trend(metric.polarity, kpi["change"])
        expected = {"value": format_value(metric, kpi["value"], currency), "change": format_change(kpi["change_pct"]),
                    "trend": trend, "colour": TREND_COLOURS[trend]}
        assert shown[name] == expected, name
    assert page.input_value("#range-from") == summary["from"]
    assert page.input_value("#range-to") == summary["to"]


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_kpi_cards_show_the_api_values(logged_in, read_api, live_server, monitor):
    assert_cards_match_api(logged_in, read_api, live_server.settings.currency, range="30d")
    values = [v["value"] for v in logged_in.evaluate(CARDS_JS).values()]
    assert "—" not in values  # the demo has every headline KPI
    monitor.assert_clean()


def test_date_picker_updates_cards_and_url(logged_in, read_api, live_server, monitor, wait_ready):
    page, currency = logged_in, live_server.settings.currency
    page.click("#range-picker button[value='7d']")
    page.wait_for_url(lambda url: url.endswith("/?range=7d"))
    wait_ready(page)
    assert page.locator("#range-picker button[value='7d']").get_attribute("aria-pressed") == "true"
    assert_cards_match_api(page, read_api, currency, range="7d")
    assert page.locator("nav a", has_text="Channels").get_attribute("href") == "/channels?range=7d"

    last_full_day = live_server.settings.today() - timedelta(days=1)
    start, end = last_full_day - timedelta(days=60), last_full_day - timedelta(days=32)
    page.fill("#range-from", start.isoformat())
    page.fill("#range-to", end.isoformat())
    page.click("#range-apply")
    page.wait_for_url(lambda url: url.endswith(f"/?from={start}&to={end}"))
    wait_ready(page)
    assert_cards_match_api(page, read_api, currency, **{"from": start.isoformat(), "to": end.isoformat()})
    assert page.locator("#range-picker button[aria-pressed=true]").count() == 0

    page.reload()  # the range lives in the URL
    wait_ready(page)
    assert query(page) == {"from": [start.isoformat()], "to": [end.isoformat()]}
    assert_cards_match_api(page, read_api, currency, **{"from": start.isoformat(), "to": end.isoformat()})

    page.go_back()  # history: back to the 7-day range
    page.wait_for_url(lambda url: url.endswith("/?range=7d"))
    wait_ready(page)
    assert_cards_match_api(page, read_api, currency, range="7d")
    monitor.assert_clean()


def _column(page, table: str, key: str) -> tuple[list[str], list[str]]:
    """Row keys and the displayed text of one column, top to bottom."""
    index = page.locator(f"#{table} thead th").evaluate_all(
        f"(ths) => ths.findIndex((th) => th.dataset.key === '{key}')")
    rows = page.locator(f"#{table} tbody tr")
    keys = rows.evaluate_all("(trs) => trs.map((tr) => tr.dataset.key)")
    texts = rows.evaluate_all(f"(trs) => trs.map((tr) => tr.cells[{index}].textContent)")
    return keys, texts


def test_channel_table_sorts_ascending_then_descending(logged_in, read_api, live_server, monitor, wait_ready):
    page, currency = logged_in, live_server.settings.currency
    page.goto(f"{live_server.url}/channels?range=90d")
    wait_ready(page)
    rows = read_api.get("/api/metrics/channels", params={"range": "90d"}).json()["rows"]
    assert len(rows) >= 3

    for name in ("net_revenue", "orders", "ncac"):  # money, counts, and a ratio with empty values
        metric = CATALOGUE[name]
        header = page.locator(f"#channels-table th[data-key={name}]")
        present = [r for r in rows if r["kpis"][name]["value"] is not None]
        missing = [r["channel"] or "" for r in rows if r["kpis"][name]["value"] is None]
        for direction, reverse in (("ascending", False), ("descending", True)):
            header.locator("button").click()
            assert header.get_attribute("aria-sort") == direction
            assert header.locator(".sort-indicator").inner_text() == ("▼" if reverse else "▲")
            ordered = sorted(present, key=lambda r: r["kpis"][name]["value"], reverse=reverse)
            keys, texts = _column(page, "channels-table", name)
            assert texts[:len(ordered)] == [format_value(metric, r["kpis"][name]["value"], currency) for r in ordered]
            assert sorted(keys[len(ordered):]) == sorted(missing)  # empty values last, either way
            assert keys[:len(ordered)] == [r["channel"] or "" for r in ordered] or _ties(ordered, name)

    label = page.locator("#channels-table th[data-key=label]")
    label.locator("button").click()
    keys, texts = _column(page, "channels-table", "label")
    assert texts == sorted(texts, key=str.lower)
    monitor.assert_clean()


def _ties(rows: list[dict], name: str) -> bool:
    values = [r["kpis"][name]["value"] for r in rows]
    return len(set(values)) < len(values)


def test_jobs_filters(logged_in, read_api, live_server, monitor, wait_ready):
    page = logged_in
    page.goto(f"{live_server.url}/jobs")
    wait_ready(page)
    everything = read_api.get("/api/jobs", params={"limit": 200}).json()["jobs"]
    assert page.locator("#jobs-table tbody tr").count() == len(everything)

    page.select_option("#filter-kind", "build")
    page.wait_for_url(lambda url: url.endswith("/jobs?kind=build"))
    wait_ready(page)
    builds = read_api.get("/api/jobs", params={"kind": "build", "limit": 200}).json()["jobs"]
    shown = page.locator("#jobs-table tbody tr").evaluate_all("(trs) => trs.map((tr) => Number(tr.dataset.key))")
    assert shown == [j["id"] for j in builds] and builds

    page.select_option("#filter-status", "failed")
    page.wait_for_url(lambda url: url.endswith("/jobs?kind=build&status=failed"))
    wait_ready(page)
    failed = read_api.get("/api/jobs", params={"kind": "build", "status": "failed"}).json()["jobs"]
    assert page.locator("#jobs-table tbody tr").count() == len(failed)
    assert page.locator("#jobs-empty").is_visible() == (not failed)
    monitor.assert_clean()


def test_build_finished_refetches_the_page(logged_in, live_server, monitor):
    page = logged_in
    page.wait_for_function("document.body.dataset.stream === 'open'")  # subscribed to /api/stream
    updated = page.locator("#updated")
    refreshes = int(updated.get_attribute("data-refreshes"))
    stamp = updated.get_attribute("data-updated")

    with page.expect_request(lambda r: "/api/metrics/summary" in r.url, timeout=60_000):
        _start_build(live_server)
    page.wait_for_function(f"Number(document.getElementById('updated').dataset.refreshes) > {refreshes}",
                           timeout=60_000)
    page.wait_for_function("document.body.dataset.state === 'ready'")
    assert updated.get_attribute("data-updated") > stamp
    assert page.locator(".toast").first.inner_text().startswith("A build finished")
    monitor.assert_clean()


def _start_build(live_server) -> None:
    """POST /api/builds with the admin key (waiting out a build another test left running)."""
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=live_server.url, headers=live_server.auth("admin"), timeout=30) as admin:
        while True:
            response = admin.post("/api/builds")
            if response.status_code == 202:
                return
            assert response.status_code == 409 and time.monotonic() < deadline, response.text
            time.sleep(0.2)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def test_unit_economics_shows_the_api_waterfall(logged_in, read_api, live_server, monitor, wait_ready):
    page, currency, money = logged_in, live_server.settings.currency, CATALOGUE["net_revenue"]
    page.goto(f"{live_server.url}/unit-economics?range=14d")
    wait_ready(page)
    data = read_api.get("/api/metrics/unit-economics", params={"range": "14d"}).json()

    shown = page.locator("#costs-table tbody tr").evaluate_all(
        "(trs) => trs.map((tr) => [tr.dataset.key, ...[...tr.cells].slice(1).map((c) => c.textContent)])")
    assert shown == [[s["step"], format_value(money, s["total"], currency),
                      format_value(money, s["per_order"], currency), _percent(s["share_of_gross"])]
                     for s in data["steps"]]

    # Each step floats from the running total before it; subtotals (and gross sales) stand on zero.
    bars = page.evaluate("Chart.getChart(document.getElementById('waterfall-chart')).data.datasets[0].data")
    running, expected = 0.0, []
    for i, step in enumerate(data["steps"]):
        if i == 0 or step.get("subtotal"):
            expected.append([0, step["per_order"]])
            running = step["per_order"]
        else:
            expected.append([running, running + step["per_order"]])
            running += step["per_order"]
    assert [x for bar in bars for x in bar] == pytest.approx([x for bar in expected for x in bar], abs=1e-6)
    # The last cost step ends where the contribution bar stands.
    assert expected[-2][1] == pytest.approx(data["steps"][-1]["per_order"], abs=1e-6)
    monitor.assert_clean()


def test_cohort_heatmap_shows_the_api_retention(logged_in, read_api, live_server, monitor, wait_ready):
    page = logged_in
    page.goto(f"{live_server.url}/cohorts")
    wait_ready(page)
    cohorts = read_api.get("/api/metrics/cohorts").json()["cohorts"]
    assert len(cohorts) >= 3
    rows = page.locator("#cohort-table tbody tr").evaluate_all(
        "(trs) => trs.map((tr) => ({key: tr.dataset.key, cells: [...tr.cells].map((c) => c.textContent),"
        " colours: [...tr.cells].map((c) => c.style.backgroundColor)}))")
    assert [r["key"] for r in rows] == [c["cohort_month"] for c in cohorts]
    for row, cohort in zip(rows, cohorts, strict=True):
        assert row["cells"][1] == f"{cohort['customers']:,}"
        retention = row["cells"][4:4 + len(cohort["retention"])]
        assert retention == [_percent(v) for v in cohort["retention"]]
    # Cell colour grows with retention: the most retained month-1 cell is the darkest.
    month1 = [(c["retention"][1], r["colours"][5]) for r, c in zip(rows, cohorts, strict=True)
              if len(c["retention"]) > 1 and c["retention"][1] is not None]
    alphas = [(value, float(colour.rsplit(",", 1)[1].rstrip(")"))) for value, colour in month1]
    assert sorted(alphas) == sorted(alphas, key=lambda pair: pair[1])
    monitor.assert_clean()
