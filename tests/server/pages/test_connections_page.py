"""The Connections page in real headless Chromium with an admin session: create a connection through the form
built from the connector's fields (secrets as password inputs), see it listed with its secret masked, press
Test and see what answered, edit and delete it; a bad name is refused next to the form; and for a Google Ads
connection, "Connect with Google" runs the OAuth flow against the fake Google server and shows the outcome."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fakes.google_oauth import FakeGoogleOAuth
from support.connectors import GOOD_TOKEN, registered_fake
from support.google_connectors import registered_google

CLIENT = "growthos-page.apps.googleusercontent.com"
SECRET = "GOCSPX-page-test-secret-5678"
BACK_WITH_OUTCOME = re.compile(r"/connections\?oauth=")


@pytest.fixture(scope="module", autouse=True)
def _connectors() -> Iterator[None]:
    with registered_fake(), registered_google():
        yield


@pytest.fixture
def admin_api(live_server) -> Iterator[httpx.Client]:
    """The JSON API with the admin key; deletes the connections a test made."""
    with httpx.Client(base_url=live_server.url, headers=live_server.auth("admin"), timeout=30) as client:
        before = {c["name"] for c in client.get("/api/connections").json()["connections"]}
        yield client
        for connection in client.get("/api/connections").json()["connections"]:
            if connection["name"] not in before:
                client.delete(f"/api/connections/{connection['name']}")


@pytest.fixture
def connections_page(page, live_server, wait_ready, admin_api):
    """A tab with an admin session on /connections, rendered."""
    page.goto(f"{live_server.url}/login?token={live_server.keys['admin']}")
    wait_ready(page)
    page.goto(f"{live_server.url}/connections")
    wait_ready(page)
    return page


def row(page, name: str):
    return page.locator(f"#connections-table tbody tr[data-key='{name}']")


def test_create_list_test_edit_and_delete(connections_page, admin_api, monitor, screenshot) -> None:
    page = connections_page
    assert page.locator("h1").inner_text() == "Connections"
    assert page.locator("#connections-table tbody").inner_text().startswith("No connections yet")

    page.select_option("#connection-kind", "testapi")
    assert page.locator("#connection-fields label").all_inner_texts() == [
        "Account\nacme", "API token", "Region (optional)", "Refresh token (optional)"]
    assert page.locator("#field-token").get_attribute("type") == "password"
    assert page.locator("#field-refresh_token").get_attribute("type") == "password"
    assert page.locator("#field-account").get_attribute("type") == "text"
    page.fill("#connection-name", "page-shop")
    page.fill("#field-account", "acme")
    page.fill("#field-token", GOOD_TOKEN)
    page.click("#connection-save")

    listed = row(page, "page-shop")
    listed.wait_for()
    cells = listed.locator("td").all_inner_texts()
    assert cells[0] == "Test API" and cells[1] == "account: acme"
    assert cells[2] == "token: ••••3210"
    assert cells[3] == "Never tested"
    assert GOOD_TOKEN not in page.content()
    assert page.locator("#connection-fields input").count() == 0  # the form was reset
    stored = admin_api.get("/api/connections/page-shop").json()
    assert (stored["kind"], stored["settings"], stored["secrets"]) == (
        "testapi", {"account": "acme"}, {"token": "••••3210"})

    listed.locator("button[data-action=test]").click()
    result = page.locator("#action-result")
    result.wait_for()
    page.wait_for_function("document.querySelector(\"tr[data-key='page-shop'] .test-message\") !== null")
    assert result.inner_text() == "OK page-shop: account acme at https://api.test.example"
    assert result.get_attribute("data-ok") == "true"
    last_test = row(page, "page-shop").locator("td").nth(3)
    assert last_test.locator(".pill").inner_text() == "OK"
    assert "account acme at https://api.test.example" in last_test.inner_text()
    screenshot(page, "connections")

    # Edit: the secret input stays empty (its value is kept unless typed); a new token fails the test.
    row(page, "page-shop").locator("button[data-action=edit]").click()
    assert page.locator("#form-title").inner_text() == "Edit page-shop"
    assert page.locator("#connection-name").get_attribute("readonly") is not None
    assert page.input_value("#field-account") == "acme" and page.input_value("#field-token") == ""
    assert page.locator("#field-token").get_attribute("placeholder") == "unchanged (••••3210)"
    page.fill("#field-region", "eu")
    page.click("#connection-save")
    page.wait_for_function("document.querySelector(\"tr[data-key='page-shop'] td:nth-child(3)\")"
                           "?.innerText.includes('region: eu')")
    assert admin_api.get("/api/connections/page-shop").json()["secrets"] == {"token": "••••3210"}

    row(page, "page-shop").locator("button[data-action=edit]").click()
    page.fill("#field-token", "tk_wrong_0000111122223333")
    page.click("#connection-save")
    page.wait_for_function("document.querySelector(\"tr[data-key='page-shop'] td:nth-child(4)\")"
                           "?.innerText.includes('••••3333')")
    row(page, "page-shop").locator("button[data-action=test]").click()
    page.wait_for_function("document.querySelector('#action-result').dataset.ok === 'false'")
    failed = page.locator("#action-result").inner_text()
    assert failed.startswith("Failed page-shop: 401 Unauthorized: invalid API token")
    assert "tk_wrong_0000111122223333" not in page.content()

    page.once("dialog", lambda dialog: dialog.accept())
    row(page, "page-shop").locator("button[data-action=delete]").click()
    row(page, "page-shop").wait_for(state="detached")
    assert admin_api.get("/api/connections/page-shop").status_code == 404
    monitor.assert_clean()


def test_a_bad_name_is_refused_next_to_the_form(connections_page, monitor) -> None:
    page = connections_page
    page.select_option("#connection-kind", "testapi")
    page.fill("#connection-name", "Not A Name")
    page.fill("#field-account", "acme")
    page.fill("#field-token", GOOD_TOKEN)
    page.click("#connection-save")
    error = page.locator("#form-error")
    error.wait_for()
    assert "name must be" in error.inner_text() or "lowercase" in error.inner_text()
    assert page.locator("#connection-name").get_attribute("aria-invalid") == "true"
    assert page.input_value("#field-token") == GOOD_TOKEN  # nothing typed is lost
    assert page.locator("#connections-table tbody tr[data-key]").count() == 0
    # The only console message is the browser reporting the refused request (422).
    assert all("422" in message for message in monitor.console_errors), monitor.console_errors
    assert not monitor.failed_requests and not monitor.foreign_requests


def test_connect_with_google(connections_page, live_server, admin_api, monitor, wait_ready, screenshot) -> None:
    page = connections_page
    fake = FakeGoogleOAuth(client_id=CLIENT, client_secret=SECRET)
    with fake.serve() as google_url:
        page.select_option("#connection-kind", "google_ads")
        page.fill("#connection-name", "page-ads")
        page.fill("#field-client_id", CLIENT)
        page.fill("#field-client_secret", SECRET)
        page.fill("#field-token_url", f"{google_url}/token")
        page.fill("#field-auth_url", f"{google_url}/o/oauth2/v2/auth")
        page.click("#connection-save")
        row(page, "page-ads").wait_for()
        assert row(page, "page-ads").locator("td").nth(2).inner_text() == "client_secret: ••••5678"

        with page.expect_navigation(url=BACK_WITH_OUTCOME):  # to Google (the fake), and back via the callback
            row(page, "page-ads").locator("button[data-action=google]").click()
        wait_ready(page)
        assert page.url == f"{live_server.url}/connections"  # the outcome's parameters removed
        outcome = page.locator("#oauth-result")
        assert outcome.get_attribute("data-outcome") == "connected"
        assert outcome.inner_text() == ("Connected page-ads is connected with Google: its refresh token is stored, "
                                        "encrypted.")
        secrets = row(page, "page-ads").locator("td").nth(2).inner_text()
        assert secrets.startswith("client_secret: ••••5678\nrefresh_token: ••••")
        assert "refresh token stored" in row(page, "page-ads").locator("td").nth(3).inner_text()
        assert [r.path for r in fake.log.requests] == ["/o/oauth2/v2/auth", "/token"]
        screenshot(page, "connections_google_connected")

        fake.deny()
        with page.expect_navigation(url=BACK_WITH_OUTCOME):
            row(page, "page-ads").locator("button[data-action=google]").click()
        wait_ready(page)
        assert outcome.get_attribute("data-outcome") == "error"
        assert outcome.inner_text().startswith("Not connected page-ads: Google did not authorize: access_denied")
        assert admin_api.get("/api/connections/page-ads").json()["secrets"]["refresh_token"] == secrets.split(
            "refresh_token: ")[1]
    monitor.assert_clean()


def test_a_read_session_is_told_to_use_an_admin_key(logged_in, live_server, wait_ready, monitor) -> None:
    page = logged_in
    page.goto(f"{live_server.url}/connections")
    wait_ready(page)
    assert "admin key" in page.locator("#connections-table tbody").inner_text()
    assert page.locator("#connection-form").count() == 0
    assert not any("/api/connections" in url for url in monitor.requests)
    monitor.assert_clean()
