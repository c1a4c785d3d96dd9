"""The AI calls page in real Chromium shows the API's numbers: the cards, the per-model and per-endpoint tables,
errors by type and the chart, for the window chosen in its select (kept in the URL across a reload)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, timedelta

import httpx


def cards(page) -> dict[str, tuple[str, object]]:
    """card name -> (shown text, raw value the script rendered)."""
    return page.evaluate("""Object.fromEntries([...document.querySelectorAll('[data-card]')].map((card) => {
        const value = card.querySelector('[data-role="value"]');
        return [card.dataset.card, [value.textContent.trim(), value.dataset.raw]];
    }))""")


def table_values(page, table: str) -> dict[str, dict[str, float | None]]:
    """row key -> {column key: the cell's raw value} of a sortable table."""
    return page.evaluate(f"""(() => {{
        const keys = [...document.querySelectorAll('#{table} thead th')].map((th) => th.dataset.key);
        return Object.fromEntries([...document.querySelectorAll('#{table} tbody tr')].map((tr) => [
            tr.dataset.key,
            Object.fromEntries([...tr.children].map((td, i) => [keys[i],
                td.dataset.value === undefined ? null : td.dataset.value])),
        ]));
    }})()""")


def assert_shows(page, api: dict) -> None:
    overall = api["overall"]
    shown = cards(page)
    raw = {name: json.loads(value) for name, (_, value) in shown.items()}
    assert raw == {
        "calls": overall["calls"], "p50": overall["latency_p50_ms"], "p95": overall["latency_p95_ms"],
        "cost": overall["cost_usd"], "cache": overall["cache_hit_rate"], "errors": overall["error_rate"],
        "tokens": overall["tokens_per_call"],
    }
    assert shown["calls"][0] == f"{overall['calls']:,}"
    for table, rows in (("ai-models-table", api["models"]), ("ai-endpoints-table", api["endpoints"])):
        values = table_values(page, table)
        assert list(values) == [row["name"] for row in rows]
        for row in rows:
            cells = values[row["name"]]
            for key in ("calls", "latency_p50_ms", "latency_p95_ms", "tokens_in", "tokens_out", "cost_usd",
                        "cache_hit_rate", "error_rate"):
                assert (None if cells[key] is None else float(cells[key])) == row[key], (row["name"], key)
    errors = page.locator("#ai-errors-table tbody tr").evaluate_all(
        "(rows) => rows.map((tr) => [...tr.children].map((td) => td.textContent.trim()))")
    assert errors == [[e["error_type"], f"{e['calls']:,}"] for e in api["error_types"]]
    chart = page.evaluate("""(() => { const c = Chart.getChart(document.getElementById('ai-chart'));
        return {labels: c.data.labels.length, calls: c.data.datasets[0].data, p95: c.data.datasets[2].data}; })()""")
    assert chart == {"labels": len(api["series"]), "calls": [p["calls"] for p in api["series"]],
                     "p95": [p["latency_p95_ms"] for p in api["series"]]}
    assert page.locator("#ai-empty").is_hidden() == (overall["calls"] > 0)


def test_ai_page_shows_the_apis_numbers(logged_in, live_server, read_api, monitor, wait_ready, screenshot):
    endpoint = f"page-test-{uuid.uuid4().hex[:8]}"
    now = live_server.settings.now().astimezone(UTC)  # the demo workspace's clock
    ago = lambda hours: (now - timedelta(hours=hours)).isoformat()  # noqa: E731
    records = [
        {"model": "gpt-4o-mini", "endpoint": endpoint, "latency_ms": 420.0, "tokens_in": 900, "tokens_out": 120,
         "cost_usd": 0.000207, "timestamp": ago(2)},
        {"model": "gpt-4o-mini", "endpoint": endpoint, "latency_ms": 1.5, "cache_hit": True, "cost_usd": 0.0,
         "timestamp": ago(1)},
        {"model": "claude-3-5-haiku", "endpoint": endpoint, "latency_ms": 1800.0, "status": "error",
         "error_type": "RateLimitError", "timestamp": ago(3)},
        {"model": "gpt-4o", "endpoint": endpoint, "latency_ms": 2300.0, "tokens_in": 3000, "tokens_out": 800,
         "cost_usd": 0.0155, "timestamp": ago(24 * 3)},  # only in 7d and 30d
    ]
    response = httpx.post(f"{live_server.url}/api/analytics/ai-performance", json=records, timeout=30,
                          headers=live_server.auth("ingest"))
    assert response.status_code == 200, response.text

    page = logged_in
    page.goto(f"{live_server.url}/performance/ai?window=24h")
    wait_ready(page)
    api = read_api.get("/api/analytics/ai-performance", params={"range": "24h"}).json()
    mine = {e["name"]: e for e in api["endpoints"]}[endpoint]
    assert (mine["calls"], mine["cache_hits"], mine["errors"], mine["latency_p50_ms"]) == (3, 1, 1, 420.0)
    assert_shows(page, api)
    assert page.locator(f"#ai-endpoints-table tbody tr[data-key='{endpoint}'] td").nth(1).inner_text() == "3"
    screenshot(page, "perf_ai_24h")

    refreshes = page.locator("#updated").get_attribute("data-refreshes")
    page.select_option("#ai-window", "7d")
    page.wait_for_function(f"document.querySelector('#updated').dataset.refreshes !== '{refreshes}'")
    wait_ready(page)
    assert page.url.endswith("window=7d")
    week = read_api.get("/api/analytics/ai-performance", params={"range": "7d"}).json()
    assert {e["name"]: e["calls"] for e in week["endpoints"]}[endpoint] == 4
    assert_shows(page, week)

    page.reload()  # the window survives a reload
    wait_ready(page)
    assert page.locator("#ai-window").input_value() == "7d"
    assert_shows(page, week)
    screenshot(page, "perf_ai_7d")
    monitor.assert_clean()
