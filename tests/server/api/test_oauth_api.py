"""Connect with Google, end to end over real HTTP: a real GrowthOS server (uvicorn on 127.0.0.1, fresh data
directory) and the fake Google OAuth server. start → the fake's consent redirect → our callback → the refresh
token stored encrypted in the connection (and accepted by the fake for a refresh). Then what must be refused
with nothing stored: a state that was never issued, a state used twice, an expired state, a code Google already
redeemed (invalid_grant), the user cancelling (access_denied, shown on the page), and starts that cannot work."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fakes.google_oauth import ADS_SCOPE, GA4_SCOPE, FakeGoogleOAuth, s256_challenge
from sqlalchemy import select, update
from support.connectors import GOOD_TOKEN, KIND, registered_fake
from support.google_connectors import registered_google
from support.server import LiveServer, empty_server

from growthos.security.keys import hash_secret
from growthos.security.oauth import GoogleEndpoints
from growthos.sources.connectors import REGISTRY
from growthos.store.oauth_states import oauth_states
from growthos.store.schema import connections
from growthos.store.types import utcnow

CLIENT = "growthos-test.apps.googleusercontent.com"
SECRET = "GOCSPX-test-client-secret-1234"
START = "/api/connections/google/oauth/start"
CALLBACK = "/api/connections/google/oauth/callback"


@pytest.fixture(scope="module")
def google() -> Iterator[tuple[FakeGoogleOAuth, str]]:
    fake = FakeGoogleOAuth(client_id=CLIENT, client_secret=SECRET)
    with fake.serve() as url:
        yield fake, url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with registered_google(), registered_fake(), pytest.MonkeyPatch.context() as mp:
        mp.delenv("GROWTHOS_ENCRYPTION_KEY", raising=False)
        with empty_server(tmp_path_factory.mktemp("oauth-api")) as live:
            yield live


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.auth("admin"), timeout=30) as client:
        yield client


@pytest.fixture
def anonymous(server: LiveServer) -> Iterator[httpx.Client]:
    """A browser without any key: what Google redirects back to the callback."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def create(admin: httpx.Client, name: str, google_url: str, kind: str = "google_ads", **values: str) -> dict:
    body = {"client_id": CLIENT, "client_secret": SECRET, "token_url": f"{google_url}/token",
            "auth_url": f"{google_url}/o/oauth2/v2/auth", **values}
    response = admin.post("/api/connections", json={"name": name, "kind": kind, "values": body})
    assert response.status_code == 201, response.text
    return response.json()


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def start(admin: httpx.Client, name: str) -> str:
    """The start route's redirect (to the fake Google consent page)."""
    response = admin.get(START, params={"connection": name})
    assert response.status_code == 302, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.headers["location"]


def consent(location: str) -> str:
    """What the fake Google answers the browser: the redirect back to our callback (code or error, and state)."""
    response = httpx.get(location)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def come_back(anonymous: httpx.Client, callback_url: str) -> httpx.Response:
    parts = urlsplit(callback_url)
    return anonymous.get(f"{parts.path}?{parts.query}")


def stored(server: LiveServer, name: str):
    with server.app.state.growthos.workspace.store.engine.connect() as conn:
        return conn.execute(select(connections).where(connections.c.name == name)).one()


def page_outcome(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/connections?")
    return query(location)


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


# -- the flow -------------------------------------------------------------------------------------------------


def test_connect_with_google_stores_the_refresh_token_encrypted(server, admin, anonymous, google) -> None:
    fake, google_url = google
    fake.log.clear()
    create(admin, "ads", google_url)

    location = start(admin, "ads")
    assert location.startswith(f"{google_url}/o/oauth2/v2/auth?")
    params = query(location)
    redirect_uri = f"{server.url}{CALLBACK}"
    assert {k: v for k, v in params.items() if k not in ("state", "code_challenge")} == {
        "response_type": "code", "client_id": CLIENT, "redirect_uri": redirect_uri, "scope": ADS_SCOPE,
        "code_challenge_method": "S256", "access_type": "offline", "prompt": "consent"}
    assert len(params["state"]) >= 43 and len(params["code_challenge"]) == 43
    # The server keeps only the state's hash, and the verifier behind the challenge encrypted.
    with server.app.state.growthos.workspace.store.engine.connect() as conn:
        pending = conn.execute(select(oauth_states).where(
            oauth_states.c.state_hash == hash_secret(params["state"]))).one()
    assert pending.connection == "ads" and pending.redirect_uri == redirect_uri and pending.used_at is None
    assert params["state"] not in str(tuple(pending)) and pending.code_verifier.startswith("v1:")

    callback_url = consent(location)
    assert callback_url.startswith(redirect_uri + "?")
    back = query(callback_url)
    assert back["state"] == params["state"] and back["code"]
    outcome = page_outcome(come_back(anonymous, callback_url))
    assert outcome == {"oauth": "connected", "connection": "ads"}

    # The token endpoint got the code with the verifier whose S256 is the challenge sent.
    (token_request,) = fake.log.matching("/token$", "POST")
    form = query("?" + token_request.body.decode())
    assert form["grant_type"] == "authorization_code" and form["code"] == back["code"]
    assert form["redirect_uri"] == redirect_uri and form["client_id"] == CLIENT
    assert s256_challenge(form["code_verifier"]) == params["code_challenge"]

    # Stored: encrypted, shown masked, and it is the very token Google issued (it refreshes).
    refresh = server.app.state.growthos.workspace.store.connection_config("ads").secrets["refresh_token"]
    assert fake.tokens.refresh(refresh, CLIENT) is not None
    row = stored(server, "ads")
    assert row.secrets["refresh_token"].startswith("v1:") and refresh not in str(row.secrets)
    shown = admin.get("/api/connections/ads").json()
    assert shown["secrets"]["refresh_token"] == "••••" + refresh[-4:] and refresh not in str(shown)
    assert shown["last_test"]["ok"] is True and "refresh token stored" in shown["last_test"]["message"]
    assert shown["secrets"]["client_secret"] == "••••" + SECRET[-4:]  # the rest is kept
    test = admin.post("/api/connections/ads/test").json()
    assert test["ok"] is True and test["message"] == f"access token issued for {ADS_SCOPE}"

    # The same callback again: the state was used; refused, nothing changes.
    again = problem(come_back(anonymous, callback_url), 400)
    assert again["title"] == "Invalid OAuth state" and "already completed" in again["detail"]
    assert again["invalid_params"] == [{"name": "state", "reason": again["detail"]}]
    assert stored(server, "ads").secrets == row.secrets
    assert len(fake.log.matching("/token$", "POST")) == 2  # ours, and the connector's test; no new exchange


def test_ga4_asks_for_the_analytics_scope_and_json_start(server, admin, anonymous, google) -> None:
    _, google_url = google
    create(admin, "web", google_url, kind="ga4")
    answer = admin.get(START, params={"connection": "web"}, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"authorization_url", "connection", "expires_at"} and body["connection"] == "web"
    assert query(body["authorization_url"])["scope"] == GA4_SCOPE
    assert page_outcome(come_back(anonymous, consent(body["authorization_url"])))["oauth"] == "connected"
    assert admin.post("/api/connections/web/test").json()["message"] == f"access token issued for {GA4_SCOPE}"


# -- refused, nothing stored ---------------------------------------------------------------------------------


def test_a_state_that_was_never_issued_is_refused(server, admin, anonymous, google) -> None:
    fake, google_url = google
    create(admin, "mismatch", google_url)
    callback_url = consent(start(admin, "mismatch"))
    genuine = query(callback_url)
    before = stored(server, "mismatch")
    exchanges = len(fake.log.matching("/token$"))
    for params in ({"code": genuine["code"], "state": genuine["state"][:-2] + "xx"},
                   {"code": genuine["code"]}, {"code": genuine["code"], "state": ""}):
        refused = problem(anonymous.get(CALLBACK, params=params), 400)
        assert refused["invalid_params"][0]["name"] == "state"
    assert len(fake.log.matching("/token$")) == exchanges  # the code never went to Google
    assert stored(server, "mismatch").secrets == before.secrets and "refresh_token" not in before.secrets
    assert stored(server, "mismatch").last_test_at is None
    # The genuine state is still pending and works.
    assert page_outcome(come_back(anonymous, callback_url))["oauth"] == "connected"


def test_a_redeemed_code_is_refused_by_google_and_nothing_changes(server, admin, anonymous, google) -> None:
    _, google_url = google
    create(admin, "reuse", google_url)
    first = consent(start(admin, "reuse"))
    assert page_outcome(come_back(anonymous, first))["oauth"] == "connected"
    before = stored(server, "reuse")

    # A new authorization (fresh state) carrying the code Google already redeemed.
    fresh = query(consent(start(admin, "reuse")))
    replay = anonymous.get(CALLBACK, params={"state": fresh["state"], "code": query(first)["code"]})
    outcome = page_outcome(replay)
    assert outcome["oauth"] == "error" and outcome["connection"] == "reuse"
    assert outcome["message"].startswith("Google refused: invalid_grant: the authorization code is invalid, "
                                         "expired or already used")
    after = stored(server, "reuse")
    assert (after.secrets, after.updated_at, after.last_test_at) == (
        before.secrets, before.updated_at, before.last_test_at)
    # That state is spent too.
    assert "already completed" in problem(anonymous.get(CALLBACK, params=fresh), 400)["detail"]


def test_an_expired_state_is_refused(server, admin, anonymous, google) -> None:
    fake, google_url = google
    create(admin, "late", google_url)
    callback_url = consent(start(admin, "late"))
    state = query(callback_url)["state"]
    with server.app.state.growthos.workspace.store.engine.begin() as conn:  # eleven minutes later
        conn.execute(update(oauth_states).where(oauth_states.c.state_hash == hash_secret(state))
                     .values(expires_at=utcnow() - timedelta(minutes=1)))
    exchanges = len(fake.log.matching("/token$"))
    refused = problem(come_back(anonymous, callback_url), 400)
    assert "expired" in refused["detail"]
    assert len(fake.log.matching("/token$")) == exchanges
    assert "refresh_token" not in stored(server, "late").secrets


def test_access_denied_is_shown_on_the_page(server, admin, anonymous, google) -> None:
    fake, google_url = google
    create(admin, "denied", google_url)
    fake.deny()
    callback_url = consent(start(admin, "denied"))
    assert query(callback_url)["error"] == "access_denied" and "code" not in query(callback_url)
    outcome = page_outcome(come_back(anonymous, callback_url))
    assert outcome["oauth"] == "error" and outcome["connection"] == "denied"
    assert outcome["message"].startswith("Google did not authorize: access_denied: access was denied")
    row = stored(server, "denied")
    assert "refresh_token" not in row.secrets and row.last_test_at is None
    assert "already completed" in problem(come_back(anonymous, callback_url), 400)["detail"]


def test_a_wrong_client_secret_is_reported(server, admin, anonymous, google) -> None:
    _, google_url = google
    create(admin, "bad-secret", google_url, client_secret="GOCSPX-not-the-right-one")
    outcome = page_outcome(come_back(anonymous, consent(start(admin, "bad-secret"))))
    assert outcome["oauth"] == "error"
    assert outcome["message"].startswith("Google refused: invalid_client: the client ID or client secret is wrong")
    assert "refresh_token" not in stored(server, "bad-secret").secrets


def test_an_unreachable_token_endpoint_is_reported(server, admin, anonymous, google) -> None:
    _, google_url = google
    create(admin, "offline", google_url, token_url="http://127.0.0.1:9/token")
    outcome = page_outcome(come_back(anonymous, consent(start(admin, "offline"))))
    assert outcome["oauth"] == "error" and "could not reach the token endpoint 127.0.0.1:9" in outcome["message"]


# -- starts that cannot work ---------------------------------------------------------------------------------


def test_start_is_admin_only(server: LiveServer) -> None:
    assert problem(httpx.get(server.url + START, params={"connection": "ads"}), 401)
    for scope in ("read", "ingest"):
        response = httpx.get(server.url + START, params={"connection": "ads"}, headers=server.auth(scope))
        assert problem(response, 403)["detail"] == f"this needs a key with scope 'admin'; yours has '{scope}'"


def test_start_refuses_what_cannot_connect(server, admin, google) -> None:
    _, google_url = google
    assert problem(admin.get(START, params={"connection": "nobody"}), 404)["invalid_params"][0]["name"] == "name"
    admin.post("/api/connections", json={"name": "shop", "kind": KIND,
                                         "values": {"account": "acme", "token": GOOD_TOKEN}})
    other = problem(admin.get(START, params={"connection": "shop"}), 422)
    assert other["invalid_params"][0]["name"] == "connection" and "only ga4 or google_ads" in other["detail"]
    assert problem(admin.get(START), 422)["invalid_params"][0]["name"] == "connection"


# -- with the shipped connector ------------------------------------------------------------------------------


def test_the_shipped_google_ads_connector_connects(server, admin, anonymous, google, monkeypatch) -> None:
    """The real connector has no auth_url field: the server-wide endpoints (app.state.google_oauth) are used."""
    shipped = pytest.importorskip("growthos.sources.google_ads.connector").GoogleAdsConnector()
    fake, google_url = google
    monkeypatch.setitem(REGISTRY, "google_ads", shipped)
    monkeypatch.setattr(server.app.state, "google_oauth", GoogleEndpoints(
        auth_url=f"{google_url}/o/oauth2/v2/auth", token_url=f"{google_url}/token"), raising=False)
    values = {"customer_id": "123-456-7890", "developer_token": "dev-token-abcdefgh", "client_id": CLIENT,
              "client_secret": SECRET}
    if any(f.name == "refresh_token" and f.required for f in shipped.fields):
        values["refresh_token"] = "placeholder-until-connected"  # the connector insists on one at creation
    response = admin.post("/api/connections", json={"name": "shipped-ads", "kind": "google_ads", "values": values})
    assert response.status_code == 201, response.text

    location = start(admin, "shipped-ads")
    assert location.startswith(f"{google_url}/o/oauth2/v2/auth?") and query(location)["scope"] == ADS_SCOPE
    assert page_outcome(come_back(anonymous, consent(location)))["oauth"] == "connected"
    refresh = server.app.state.growthos.workspace.store.connection_config("shipped-ads").secrets["refresh_token"]
    assert refresh != "placeholder-until-connected" and fake.tokens.refresh(refresh, CLIENT) is not None
