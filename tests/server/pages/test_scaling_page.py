"""The Scaling page in real Chromium shows each service's advice as the API gives it, and its chart."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import httpx


def test_scaling_page_shows_the_apis_advice(logged_in, live_server, read_api, monitor, wait_ready, screenshot):
    service = f"web-{uuid.uuid4().hex[:6]}"
    now = live_server.settings.now().astimezone(UTC)  # the demo workspace's clock
    samples = [{"service": service, "instance_count": 4, "cpu_percent": cpu, "memory_percent": 50.0,
                "connections": 20 + i, "timestamp": (now - timedelta(minutes=30 - 10 * i)).isoformat()}
               for i, cpu in enumerate([55.0, 60.0, 18.0])]  # last: ceil(4 × 18 / 70) = 2, 10 min after the rest
    response = httpx.post(f"{live_server.url}/api/analytics/resources", json=samples, timeout=30,
                          headers=live_server.auth("ingest"))
    assert response.status_code == 200, response.text
    page = logged_in
    page.goto(f"{live_server.url}/performance/scaling?window=24h")
    wait_ready(page)
    api = read_api.get("/api/analytics/resources", params={"range": "24h"}).json()
    [entry] = [s for s in api["services"] if s["service"] == service]
    assert (entry["recommendation"]["recommendation"], entry["recommendation"]["action"]) == (2, "scale_down")
    row = page.locator(f"#scaling-table tbody tr[data-key='{service}'] td").all_inner_texts()
    assert row[:6] == [service, "4", "18.0%", "2", "4", "Scale down"]  # at peak: the 4 it runs
    assert row[6] == entry["recommendation"]["reason"]
    assert [r.get_attribute("data-key") for r in page.locator("#scaling-table tbody tr").all()] == [
        s["service"] for s in api["services"]]
    page.select_option("#scaling-service", service)
    assert page.locator("#changes-table tbody tr").count() == len(entry["changes"]) == 1
    assert page.evaluate("Chart.getChart(document.getElementById('scaling-chart')).data.datasets[0].data") == [
        p["cpu_percent"] for p in entry["series"]]
    page.select_option("#scaling-window", "7d")
    page.wait_for_url(lambda url: url.endswith("window=7d"))
    wait_ready(page)
    screenshot(page, "scaling")
    monitor.assert_clean()
