"""Core Web Vitals end to end in real Chromium: a shop page on another origin (a local http.server) embeds
/sdk/vitals.js with an ingest key; Chromium loads it, a layout shift happens, the visitor clicks, then leaves
(pagehide flushes the batch with sendBeacon); the vitals arrive in the warehouse with their route, user agent
and the library's ratings, and GET /api/analytics/performance returns them. Then the Web vitals page shows the
API's p75s, routes, worse routes and trend for the window kept in its URL."""

from __future__ import annotations

import random
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.metrics.telemetry.vitals import rate
from growthos.server.auth import SESSION_COOKIE

SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,">
<script src="{growthos}/sdk/vitals.js" data-key="{key}" defer></script>
<style>body {{ font: 16px system-ui, sans-serif; margin: 2rem; }} img {{ width: 320px; height: 160px; }}</style>
</head><body>
<main><h1>Cast-iron skillet</h1>
<p>Pre-seasoned, oven safe to 260 °C, and the only pan you need for searing, baking and frying.</p>
<img src="hero.png" alt="The skillet">
<p><button id="buy" type="button">Add to cart</button> <span id="added"></span></p></main>
<script>
  document.getElementById("buy").addEventListener("click", () => {{
    const end = performance.now() + 80;  // a slow handler: an interaction INP measures
    while (performance.now() < end) {{}}
    document.getElementById("added").textContent = "Added to cart";
  }});
  setTimeout(() => {{  // a late banner pushes the content down: a layout shift before any input
    const banner = document.createElement("div");
    banner.id = "banner";
    banner.style.height = "120px";
    banner.textContent = "Free shipping this week";
    document.body.prepend(banner);
  }}, 300);
</script>
</body></html>
"""


def noisy_png(size: int = 64) -> bytes:
    """A PNG of random pixels (a low-entropy image would not count as a contentful paint)."""
    rng = random.Random(7)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(size * 3)) for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class Shop:
    """A site on its own port of 127.0.0.1 serving one product page (at ``route``) and its image."""

    def __init__(self, growthos: str, key: str) -> None:
        self.route = f"/shop-{uuid.uuid4().hex[:8]}/skillet.html"
        files = {self.route: ("text/html; charset=utf-8", SHOP_PAGE.format(growthos=growthos, key=key).encode()),
                 self.route.rsplit("/", 1)[0] + "/hero.png": ("image/png", noisy_png())}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                content_type, body = files.get(urlsplit(self.path).path, ("text/plain", b""))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{self.route}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Shop:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("vitals-page-server")) as live:
        yield live


def api(server: LiveServer, **params) -> dict:
    response = httpx.get(f"{server.url}/api/analytics/performance", params=params, headers=server.auth("read"),
                         timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def wait_for_rows(server: LiveServer, route: str, names: set[str], timeout_s: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = server.warehouse_rows("SELECT * FROM telemetry_web_vitals WHERE route = ? ORDER BY name", [route])
        if names <= {r["name"] for r in rows} or time.monotonic() > deadline:
            return rows
        time.sleep(0.25)


def test_a_page_on_another_origin_reports_its_vitals(server, page, monitor) -> None:
    with Shop(server.url, server.keys["ingest"]) as shop:
        page.goto(shop.url)
        page.wait_for_function("window.__growthosVitals === true && document.getElementById('banner') !== null")
        page.wait_for_timeout(300)  # the banner's shift is recorded before the visitor acts
        first_input = page.evaluate("PerformanceObserver.supportedEntryTypes.includes('first-input')")
        user_agent = page.evaluate("navigator.userAgent")
        page.click("#buy")
        page.wait_for_function("document.getElementById('added').textContent === 'Added to cart'")
        # web-vitals processes interactions in an idle callback (at most 1 s later); a page hidden before that
        # reports no INP, so the visitor lingers a moment
        page.wait_for_timeout(1500)
        page.goto("about:blank")  # pagehide and visibilitychange: the snippet flushes with sendBeacon

        expected = {"LCP", "FCP", "TTFB", "CLS", "INP"} | ({"FID"} if first_input else set())
        rows = wait_for_rows(server, shop.route, expected)
    assert {r["name"] for r in rows} == expected, rows
    assert len(rows) == len(expected)  # one report each, no duplicates
    for row in rows:
        assert row["user_agent"] == user_agent  # from the beacon's User-Agent header
        assert row["rating"] == rate(row["name"], row["value"])  # the library's thresholds are ours
        assert row["navigation_type"] == "navigate" and row["metric_id"]
        assert row["connection_type"] in (None, "slow-2g", "2g", "3g", "4g")
    assert len({r["session_id"] for r in rows}) == 1 and len(rows[0]["session_id"]) == 32
    values = {r["name"]: r["value"] for r in rows}
    assert values["CLS"] > 0  # the banner moved the content
    assert values["INP"] >= 80  # the handler's busy loop is inside the interaction
    assert 0 < values["FCP"] <= values["LCP"]

    data = api(server, range="24h", min_samples=1)
    route = next(r for r in data["routes"] if r["route"] == shop.route)
    assert {name: m["p75"] for name, m in route["metrics"].items()} == values  # one sample each: p75 = value
    monitor.assert_clean()


def log_in(page, server: LiveServer) -> None:
    """A session of the read key as a cookie (the summary page /login leads to needs a built warehouse)."""
    store = server.app.state.growthos.workspace.store
    key = store.authenticate_key(server.keys["read"])
    _session, token = store.create_session(key.id, 3600)
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url}])


def post_fixture(server: LiveServer) -> None:
    """Five LCPs of /checkout a day and a half ago at 2000 ms and five now (p75 3000 ms: good -> needs-improvement,
    +50 %), and some vitals of / now."""
    earlier = (datetime.now(UTC) - timedelta(hours=36)).isoformat()
    records = [{"name": "LCP", "value": 2000, "route": "/checkout", "timestamp": earlier}] * 5
    records += [{"name": "LCP", "value": v, "route": "/checkout"} for v in (3000, 3000, 3000, 3000, 3100)]
    records += [{"name": "FCP", "value": 1200 + 10 * i, "route": "/"} for i in range(6)]
    records += [{"name": "CLS", "value": v, "route": "/"} for v in (0.02, 0.02, 0.05, 0.08, 0.3)]
    response = httpx.post(f"{server.url}/api/analytics/performance", json=records, headers=server.auth("ingest"),
                          timeout=30)
    assert response.status_code == 200, response.text


def fmt(unit: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if unit == "score" else f"{round(value):,} ms"


def cells(page, selector: str) -> list[list[str]]:
    return page.evaluate(f"""[...document.querySelectorAll('{selector} tbody tr')].map(
        (tr) => [...tr.children].map((td) => td.textContent.trim()))""")


def assert_shows(page, data: dict) -> None:
    for metric in data["metrics"]:
        card = page.locator(f'#vitals-cards [data-metric="{metric["name"]}"]')
        value = card.locator("[data-role=value]")
        assert value.inner_text() == fmt(metric["unit"], metric["p75"])
        shown = value.get_attribute("data-value")
        assert shown == ("" if metric["p75"] is None else str(metric["p75"]).removesuffix(".0"))
        assert (card.get_attribute("data-rating") or None) == metric["rating"]
    units = {m["name"]: m["unit"] for m in data["metrics"]}
    assert cells(page, "#vitals-routes-table") == [
        [r["route"], f"{r['samples']:,}", *(fmt(units[n], r["metrics"][n]["p75"]) if n in r["metrics"] else "—"
                                            for n in ("LCP", "INP", "CLS", "FCP", "TTFB", "FID"))]
        for r in data["routes"]]
    assert [row[:4] for row in cells(page, "#vitals-worse-table")] == [
        [w["route"], w["name"], fmt(w["unit"], w["p75_before"]), fmt(w["unit"], w["p75_after"])]
        for w in data["worsened"]]
    lcp = next(s for s in data["trend"] if s["name"] == "LCP")
    plotted = page.evaluate("Chart.getChart(document.getElementById('vitals-trend-chart')).data.datasets[0].data")
    assert plotted == [p["p75"] for p in lcp["points"]]


def test_the_page_shows_the_api_p75s(server, page, monitor, wait_ready, screenshot) -> None:
    post_fixture(server)
    log_in(page, server)
    page.goto(f"{server.url}/performance/vitals?window=24h")
    wait_ready(page)
    assert page.locator('.nav-link[aria-current="page"]').inner_text() == "Web vitals"
    day = api(server, range="24h")
    assert {m["name"]: m["p75"] for m in day["metrics"]}["LCP"] is not None
    assert_shows(page, day)
    assert cells(page, "#vitals-worse-table")[0][:2] == ["/checkout", "LCP"]
    assert cells(page, "#vitals-worse-table")[0][4:6] == ["+50.0%", "Good → Needs improvement"]
    assert f'src="{server.url}/sdk/vitals.js"' in page.locator("#vitals-embed").inner_text()
    screenshot(page, "perf_vitals_24h")

    refreshes = page.locator("#updated").get_attribute("data-refreshes")
    page.select_option("#vitals-window", "7d")
    page.wait_for_function(f"document.querySelector('#updated').dataset.refreshes !== '{refreshes}'")
    wait_ready(page)
    assert parse_qs(urlsplit(page.url).query)["window"] == ["7d"]
    week = api(server, range="7d")
    assert {m["name"]: m["samples"] for m in week["metrics"]}["LCP"] >= 10  # the earlier five are in the week
    assert_shows(page, week)
    page.reload()  # the window survives a reload
    wait_ready(page)
    assert page.locator("#vitals-window").input_value() == "7d"
    monitor.assert_clean()
