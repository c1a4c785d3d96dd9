"""Every dashboard page in real Chromium: it renders its data with no console error, no failed request and no
request leaving 127.0.0.1, draws its charts with the vendored Chart.js, and is screenshotted for review.
Login: an anonymous visit goes to /login, a wrong key is refused, the read key lands on the summary."""

from __future__ import annotations

import pytest

from growthos.server.pages.dashboard import PAGES

# Pages that answer a question need one to show data (the others have defaults).
QUESTIONS = {
    "product_funnels": "?steps=Signed+Up&steps=Meal+Plan+Created&steps=Subscription+Started&breakdown=platform",
    "product_users": "?q=ava",
}


@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_page_loads_cleanly(spec, logged_in, live_server, monitor, wait_ready, screenshot):
    page = logged_in
    page.goto(f"{live_server.url}{spec.path}{QUESTIONS.get(spec.name, '')}")
    wait_ready(page)

    assert page.locator("h1").inner_text() == spec.title
    assert page.title() == f"{spec.title} · GrowthOS"
    current = page.locator("nav a[aria-current=page]")
    assert current.count() == 1 and current.inner_text() == spec.title
    assert page.locator("nav a.nav-link").all_inner_texts() == [p.title for p in PAGES]
    assert page.locator(".badge-demo").inner_text() == "Demo data"  # the live server serves the demo
    assert page.locator("#updated").inner_text().startswith("Updated ")
    assert page.locator("#range-picker").count() == (1 if spec.uses_range else 0)
    # Every chart canvas holds a Chart.js chart, from /static/vendor.
    drawn = page.evaluate("[...document.querySelectorAll('canvas')].map((c) => Boolean(Chart.getChart(c)))")
    assert all(drawn), drawn
    assert any(url.endswith("/static/vendor/chart.umd.min.js") for url in monitor.requests)
    assert page.locator("table tbody tr").count() > 0 or spec.name == "summary"
    screenshot(page, spec.name)
    monitor.assert_clean()


def test_kpi_tooltip_shows_the_formula_on_focus(logged_in, read_api, monitor, screenshot):
    page = logged_in
    formulas = {m["name"]: m["formula"] for m in read_api.get("/api/catalogue").json()["metrics"]}
    card = page.locator(".kpi-card[data-metric=mer]")
    tip = card.locator("[role=tooltip]")
    assert not tip.is_visible()
    card.locator(".tip-button").focus()
    tip.wait_for(state="visible")
    assert tip.inner_text() == formulas["mer"]
    assert card.locator(".tip-button").get_attribute("aria-describedby") == tip.get_attribute("id")
    screenshot(page, "summary_tooltip")
    monitor.assert_clean()


def test_anonymous_visit_redirects_to_login(page, live_server, monitor):
    for path in ("/", "/channels?range=7d", "/jobs"):
        page.goto(f"{live_server.url}{path}")
        assert page.url == f"{live_server.url}/login"
        assert page.locator("input#token").is_visible()
    monitor.assert_clean()


def test_login_with_a_wrong_key_shows_an_error_then_the_read_key_lands_on_summary(
    page, live_server, wait_ready, screenshot
):
    page.goto(f"{live_server.url}/login")
    page.fill("#token", "gos_read_not-a-real-key")
    page.click("button[type=submit]")
    error = page.locator("[role=alert]")
    error.wait_for()
    assert "unknown or revoked" in error.inner_text()
    assert page.locator("#token").get_attribute("aria-invalid") == "true"
    screenshot(page, "login_error")

    page.fill("#token", live_server.keys["read"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    wait_ready(page)
    assert page.locator("h1").inner_text() == "Executive summary"

    page.click("text=Log out")  # POST /logout with the session's CSRF token
    page.wait_for_url(f"{live_server.url}/login")
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/login"
