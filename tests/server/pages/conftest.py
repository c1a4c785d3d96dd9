"""Real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against the live demo server.

Under CI=true a missing Chromium or Playwright fails these tests; elsewhere they are skipped with the reason.
Every page gets a Monitor that records console errors, failed requests and requests leaving 127.0.0.1."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}
TIMEOUT_MS = 15_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run; `make system-deps` installs Chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """One Chromium with a fresh user-data directory for the session; each test opens its own page."""
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
            headless=True, viewport=VIEWPORT, locale="en-US", timezone_id="UTC",
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


@dataclass
class Monitor:
    """What went wrong in the browser while a test ran."""

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.failed_requests == [], f"failed requests: {self.failed_requests}"
        assert self.foreign_requests == [], f"requests to other hosts: {self.foreign_requests}"


def _watch(page, monitor: Monitor) -> None:
    def on_console(message) -> None:
        if message.type == "error":
            monitor.console_errors.append(message.text)

    def on_request(request) -> None:
        monitor.requests.append(request.url)
        host = urlsplit(request.url).hostname
        if request.url.startswith(("http:", "https:", "ws:", "wss:")) and host != "127.0.0.1":
            monitor.foreign_requests.append(request.url)

    def on_failed(request) -> None:
        failure = request.failure or ""
        # The event stream stays open until the page goes away; leaving a page cancels it.
        if urlsplit(request.url).path == "/api/stream" and "ERR_ABORTED" in failure:
            return
        monitor.failed_requests.append(f"{request.url}: {failure}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: monitor.console_errors.append(f"uncaught: {error}"))
    page.on("request", on_request)
    page.on("requestfailed", on_failed)


@pytest.fixture
def monitor() -> Monitor:
    return Monitor()


@pytest.fixture
def page(browser_context, monitor: Monitor):
    """A new tab with no session cookie, watched by `monitor`."""
    browser_context.clear_cookies()
    tab = browser_context.new_page()
    _watch(tab, monitor)
    try:
        yield tab
    finally:
        tab.close()


@pytest.fixture
def logged_in(page, live_server):
    """A tab with a session of the read key (as /login?token=... starts it), showing the summary."""
    page.goto(f"{live_server.url}/login?token={live_server.keys['read']}")
    _wait_ready(page)
    return page


@pytest.fixture(scope="session")
def read_api(live_server) -> Iterator[httpx.Client]:
    """The JSON API with the read key, for the values the pages must show."""
    with httpx.Client(base_url=live_server.url, headers=live_server.auth("read"), timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def wait_ready():
    return _wait_ready


@pytest.fixture(scope="session")
def screenshot():
    return _screenshot


def _wait_ready(page) -> None:
    """Until the page's script has rendered the data it fetched (body[data-state=ready])."""
    page.wait_for_function("document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'")
    alert = page.locator("#alert")
    assert page.evaluate("document.body.dataset.state") == "ready", alert.inner_text()


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '_', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
