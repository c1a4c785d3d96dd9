"""The Database page in real Chromium shows the API's numbers: the cards, the slowest-fingerprints table and the
chart, for the window chosen in its select (kept in the URL across a reload)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, timedelta

import httpx

URL = "/api/analytics/database-performance"


def cards(page) -> dict[str, tuple[str, object]]:
    """card name -> (shown text, raw value the script rendered)."""
    return page.evaluate("""Object.fromEntries([...document.querySelectorAll('[data-card]')].map((card) => {
        const value = card.querySelector('[data-role="value"]');
        return [card.dataset.card, [value.textContent.trim(), value.dataset.raw]];
    }))""")


def table_values(page) -> dict[str, dict[str, str | None]]:
    """fingerprint -> {column key: the cell's raw value} of the fingerprints table."""
    return page.evaluate("""(() => {
        const keys = [...document.querySelectorAll('#db-fingerprints-table thead th')].map((th) => th.dataset.key);
        return Object.fromEntries([...document.querySelectorAll('#db-fingerprints-table tbody tr')].map((tr) => [
            tr.dataset.key,
            Object.fromEntries([...tr.children].map((td, i) => [keys[i],
                td.dataset.value === undefined ? null : td.dataset.value])),
        ]));
    })()""")


def assert_shows(page, api: dict) -> None:
    overall = api["overall"]
    shown = cards(page)
    assert {name: json.loads(raw) for name, (_, raw) in shown.items()} == {
        "queries": overall["queries"], "p95": overall["p95_ms"], "slow": overall["slow_query_rate"],
        "cache": overall["cache_hit_rate"], "errors": overall["error_rate"],
    }
    assert shown["queries"][0] == f"{overall['queries']:,}"
    assert shown["slow"][0] == f"{overall['slow_query_rate'] * 100:.1f}%"
    values = table_values(page)
    assert list(values) == [row["fingerprint"] for row in api["fingerprints"]]  # slowest first, as the API
    for row in api["fingerprints"]:
        cells = values[row["fingerprint"]]
        for key in ("calls", "total_ms", "share_of_time", "avg_ms", "p95_ms", "max_ms", "slow", "cache_hits",
                    "errors"):
            assert (None if cells[key] is None else float(cells[key])) == row[key], (row["fingerprint"], key)
    chart = page.evaluate("""(() => { const c = Chart.getChart(document.getElementById('db-chart'));
        return {labels: c.data.labels.length, queries: c.data.datasets[0].data, slow: c.data.datasets[1].data,
                p95: c.data.datasets[2].data}; })()""")
    assert chart == {"labels": len(api["series"]), "queries": [p["queries"] for p in api["series"]],
                     "slow": [p["slow"] for p in api["series"]], "p95": [p["p95_ms"] for p in api["series"]]}
    assert page.locator("#db-empty").is_hidden() == (overall["queries"] > 0)


def test_database_page_shows_the_apis_numbers(logged_in, live_server, read_api, monitor, wait_ready, screenshot):
    table = f"page_test_{uuid.uuid4().hex[:8]}"
    now = live_server.settings.now().astimezone(UTC)  # the demo workspace's clock
    ago = lambda hours: (now - timedelta(hours=hours)).isoformat()  # noqa: E731
    find = f"SELECT * FROM {table} WHERE id = ?"
    save = f"UPDATE {table} SET title = ? WHERE id = ?"
    records = [
        {"fingerprint": find, "duration_ms": 12.0, "rows": 1, "operation": "SELECT", "timestamp": ago(2)},
        {"fingerprint": find, "duration_ms": 18.5, "rows": 1, "operation": "SELECT", "timestamp": ago(1)},
        {"fingerprint": find, "duration_ms": 0.3, "rows": 1, "cached": True, "operation": "SELECT",
         "timestamp": ago(1)},
        {"fingerprint": save, "duration_ms": 1450.0, "slow": True, "operation": "UPDATE", "timestamp": ago(3)},
        {"fingerprint": save, "duration_ms": 4.0, "error_type": "DeadlockDetected", "operation": "UPDATE",
         "timestamp": ago(3)},
        {"fingerprint": f"DELETE FROM {table} WHERE id = ?", "duration_ms": 2500.0, "operation": "DELETE",
         "timestamp": ago(24 * 3)},  # only in 7d and 30d
    ]
    response = httpx.post(f"{live_server.url}{URL}", json=records, timeout=30, headers=live_server.auth("ingest"))
    assert response.status_code == 200, response.text

    page = logged_in
    page.goto(f"{live_server.url}/performance/database?window=24h")
    wait_ready(page)
    assert page.locator("#db-window").input_value() == "24h"
    day = read_api.get(URL, params={"range": "24h"}).json()
    assert {find, save} <= {row["fingerprint"] for row in day["fingerprints"]}
    assert_shows(page, day)
    screenshot(page, "perf_database_24h")

    refreshes = page.locator("#updated").get_attribute("data-refreshes")
    page.select_option("#db-window", "7d")
    page.wait_for_function(f"document.querySelector('#updated').dataset.refreshes !== '{refreshes}'")
    wait_ready(page)
    assert "window=7d" in page.url
    week = read_api.get(URL, params={"range": "7d"}).json()
    assert week["bucket"] == "day" and f"DELETE FROM {table} WHERE id = ?" in {
        row["fingerprint"] for row in week["fingerprints"]}
    assert_shows(page, week)
    screenshot(page, "perf_database_7d")

    page.reload()  # the window survives a reload
    wait_ready(page)
    assert page.locator("#db-window").input_value() == "7d"
    monitor.assert_clean()
