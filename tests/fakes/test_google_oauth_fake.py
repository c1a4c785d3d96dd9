"""The Google OAuth fake, driven with plain httpx: authorization redirect, PKCE, single-use codes, refresh,
revocation, and its tokens accepted by the Google Ads and GA4 fakes through a shared TokenRegistry."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from fakes.ga4 import FakeGA4
from fakes.google_ads import FakeGoogleAds
from fakes.google_oauth import ADS_SCOPE, GA4_SCOPE, FakeGoogleOAuth, s256_challenge
from fakes.tokens import TokenRegistry

CLIENT = "test-client.apps.googleusercontent.com"
SECRET = "test-secret"
REDIRECT = "http://127.0.0.1:8765/oauth/google/callback"


@pytest.fixture
def oauth() -> Iterator[tuple[FakeGoogleOAuth, str]]:
    fake = FakeGoogleOAuth(client_id=CLIENT, client_secret=SECRET)
    with fake.serve() as base_url:
        yield fake, base_url


def authorize(url: str, verifier: str, **overrides: str) -> httpx.Response:
    params = {"client_id": CLIENT, "redirect_uri": REDIRECT, "response_type": "code",
              "scope": f"{ADS_SCOPE} {GA4_SCOPE}", "state": "st-123", "code_challenge": s256_challenge(verifier),
              "code_challenge_method": "S256", "access_type": "offline", "prompt": "consent"}
    params.update(overrides)
    return httpx.get(f"{url}/o/oauth2/v2/auth", params=params)


def redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(url: str, code: str, verifier: str, **overrides: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": CLIENT,
            "client_secret": SECRET, "code_verifier": verifier}
    form.update(overrides)
    return httpx.post(f"{url}/token", data=form)


def new_verifier() -> str:
    return secrets.token_urlsafe(48)


def test_s256_challenge_matches_rfc7636_appendix_b() -> None:
    rfc_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(rfc_verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    digest = hashlib.sha256(b"x" * 43).digest()
    assert s256_challenge("x" * 43) == base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_code_flow_with_pkce_gives_tokens_and_the_code_works_once(oauth) -> None:
    _, url = oauth
    verifier = new_verifier()
    params = redirect_params(authorize(url, verifier))
    assert params["state"] == "st-123" and params["code"]
    token = exchange(url, params["code"], verifier)
    assert token.status_code == 200 and token.headers["cache-control"] == "no-store"
    body = token.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert body["access_token"] and body["refresh_token"]
    assert set(body["scope"].split()) == {ADS_SCOPE, GA4_SCOPE}
    again = exchange(url, params["code"], verifier)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_pkce_mismatch_is_refused(oauth) -> None:
    _, url = oauth
    verifier = new_verifier()
    code = redirect_params(authorize(url, verifier))["code"]
    wrong = exchange(url, code, new_verifier())
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    missing = exchange(url, code, "")
    assert missing.json()["error"] == "invalid_grant"


def test_client_credentials_and_redirect_uri_are_checked(oauth) -> None:
    _, url = oauth
    verifier = new_verifier()
    code = redirect_params(authorize(url, verifier))["code"]
    bad_secret = exchange(url, code, verifier, client_secret="guess")
    assert (bad_secret.status_code, bad_secret.json()["error"]) == (401, "invalid_client")
    other_redirect = exchange(url, code, verifier, redirect_uri="http://127.0.0.1:9/elsewhere")
    assert other_redirect.status_code == 400
    # HTTP Basic client authentication works too
    basic = httpx.post(f"{url}/token", auth=(CLIENT, SECRET), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier})
    assert basic.status_code == 200


def test_authorization_errors(oauth) -> None:
    fake, url = oauth
    verifier = new_verifier()
    unknown_client = authorize(url, verifier, client_id="someone-else")
    assert unknown_client.status_code == 401 and "location" not in unknown_client.headers
    foreign_redirect = authorize(url, verifier, redirect_uri="https://evil.example/cb")
    assert foreign_redirect.status_code == 400 and "redirect_uri_mismatch" in foreign_redirect.text
    assert redirect_params(authorize(url, verifier, response_type="token"))["error"] == "unsupported_response_type"
    assert redirect_params(authorize(url, verifier, scope="https://mail.google.com/"))["error"] == "invalid_scope"
    no_pkce = authorize(url, verifier, code_challenge="")
    assert redirect_params(no_pkce)["error"] == "invalid_request"
    fake.deny()
    denied = redirect_params(authorize(url, verifier))
    assert denied == {"error": "access_denied", "state": "st-123"}
    assert "code" in redirect_params(authorize(url, verifier))


def test_refresh_token_only_on_first_consent_or_prompt_consent(oauth) -> None:
    _, url = oauth
    first_verifier, second_verifier, third_verifier = new_verifier(), new_verifier(), new_verifier()
    first = redirect_params(authorize(url, first_verifier, prompt="select_account"))
    assert "refresh_token" in exchange(url, first["code"], first_verifier).json()
    second = redirect_params(authorize(url, second_verifier, prompt="select_account"))
    assert "refresh_token" not in exchange(url, second["code"], second_verifier).json()
    third = redirect_params(authorize(url, third_verifier, prompt="consent"))
    assert "refresh_token" in exchange(url, third["code"], third_verifier).json()
    online_verifier = new_verifier()
    online = redirect_params(authorize(url, online_verifier, access_type="online"))
    assert "refresh_token" not in exchange(url, online["code"], online_verifier).json()


def test_refresh_and_revocation(oauth) -> None:
    fake, url = oauth
    _, refresh = fake.issue()
    renewed = httpx.post(f"{url}/token", data={"grant_type": "refresh_token", "refresh_token": refresh,
                                               "client_id": CLIENT, "client_secret": SECRET})
    assert renewed.status_code == 200
    body = renewed.json()
    assert body["access_token"] and "refresh_token" not in body and body["token_type"] == "Bearer"
    assert httpx.post(f"{url}/revoke", data={"token": refresh}).status_code == 200
    revoked = httpx.post(f"{url}/token", data={"grant_type": "refresh_token", "refresh_token": refresh,
                                               "client_id": CLIENT, "client_secret": SECRET})
    assert revoked.status_code == 400
    assert revoked.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    unknown = httpx.post(f"{url}/token", data={"grant_type": "refresh_token", "refresh_token": "1//nope",
                                               "client_id": CLIENT, "client_secret": SECRET})
    assert unknown.json()["error"] == "invalid_grant"
    assert httpx.post(f"{url}/token", data={"grant_type": "password"}).json()["error"] == "unsupported_grant_type"


def test_issued_tokens_work_on_google_ads_and_ga4_until_expired() -> None:
    registry = TokenRegistry()
    oauth = FakeGoogleOAuth(tokens=registry, client_id=CLIENT, client_secret=SECRET)
    ads = FakeGoogleAds(tokens=registry)
    ga4 = FakeGA4(tokens=registry)
    with oauth.serve() as auth_url, ads.serve() as ads_url, ga4.serve() as ga4_url:
        verifier = new_verifier()
        code = redirect_params(authorize(auth_url, verifier))["code"]
        tokens = exchange(auth_url, code, verifier).json()

        def call_ads(access: str) -> httpx.Response:
            return httpx.post(f"{ads_url}/v17/customers/{ads.customer_id}/googleAds:searchStream",
                              headers={"Authorization": f"Bearer {access}", "developer-token": ads.developer_token},
                              json={"query": "SELECT campaign.id FROM campaign"})

        def call_ga4(access: str) -> httpx.Response:
            return httpx.post(f"{ga4_url}/v1beta/properties/{ga4.property_id}:runReport",
                              headers={"Authorization": f"Bearer {access}"},
                              json={"dateRanges": [{"startDate": "2026-02-01", "endDate": "2026-02-01"}],
                                    "metrics": [{"name": "sessions"}]})

        assert call_ads(tokens["access_token"]).status_code == 200
        assert call_ga4(tokens["access_token"]).status_code == 200
        registry.advance(3600)  # past expires_in
        assert call_ads(tokens["access_token"]).status_code == 401
        assert call_ga4(tokens["access_token"]).json()["error"]["status"] == "UNAUTHENTICATED"
        renewed = httpx.post(f"{auth_url}/token", data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT, "client_secret": SECRET}).json()["access_token"]
        assert call_ads(renewed).status_code == 200
        registry.expire(renewed)  # on demand
        assert call_ga4(renewed).status_code == 401


def test_a_token_without_the_api_scope_is_forbidden() -> None:
    registry = TokenRegistry()
    oauth = FakeGoogleOAuth(tokens=registry)
    ga4 = FakeGA4(tokens=registry)
    access, _ = oauth.issue(scopes=(ADS_SCOPE,))
    with ga4.serve() as url:
        response = httpx.post(f"{url}/v1beta/properties/{ga4.property_id}:runReport",
                              headers={"Authorization": f"Bearer {access}"},
                              json={"dateRanges": [{"startDate": "2026-02-01", "endDate": "2026-02-01"}],
                                    "metrics": [{"name": "sessions"}]})
    assert response.status_code == 403 and response.json()["error"]["status"] == "PERMISSION_DENIED"
