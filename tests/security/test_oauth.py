"""OAuth 2.0 with PKCE, pure logic: RFC 7636's S256 test vector (appendix B), verifiers and states, Google's
authorization URL parameter by parameter, and the token exchange's answers turned into tokens or typed errors
(against an httpx MockTransport standing in for the token endpoint)."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from growthos.core.errors import InvalidInput, RetryableError, TerminalError
from growthos.security.oauth import (
    ADS_SCOPE,
    GA4_SCOPE,
    GOOGLE_AUTH_URL,
    GOOGLE_SCOPES,
    GOOGLE_TOKEN_URL,
    OAuthError,
    authorization_url,
    code_challenge,
    exchange_code,
    is_code_verifier,
    new_code_verifier,
    new_state,
)

# RFC 7636, Appendix B: the verifier is base64url of these 32 octets; its S256 challenge is given.
RFC_OCTETS = bytes([116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77,
                    105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121])
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]+")


def test_s256_matches_rfc7636_appendix_b() -> None:
    assert base64.urlsafe_b64encode(RFC_OCTETS).rstrip(b"=").decode() == RFC_VERIFIER
    assert code_challenge(RFC_VERIFIER) == RFC_CHALLENGE


def test_challenge_is_unpadded_base64url_of_sha256() -> None:
    for verifier in ("a" * 43, "~" * 128, new_code_verifier()):
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        assert code_challenge(verifier) == expected and len(expected) == 43 and "=" not in expected


@pytest.mark.parametrize("bad", ["a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + "/", "ä" * 43, ""])
def test_malformed_verifiers_are_refused(bad: str) -> None:
    assert not is_code_verifier(bad)
    with pytest.raises(ValueError):
        code_challenge(bad)


def test_verifiers_and_states_are_random_and_well_formed() -> None:
    verifiers = {new_code_verifier() for _ in range(200)}
    assert len(verifiers) == 200
    assert all(len(v) == 64 and UNRESERVED.fullmatch(v) and is_code_verifier(v) for v in verifiers)
    assert len(new_code_verifier(43)) == 43 and len(new_code_verifier(128)) == 128
    for length in (42, 129):
        with pytest.raises(ValueError):
            new_code_verifier(length)
    states = {new_state() for _ in range(200)}
    assert len(states) == 200 and all(len(s) == 43 and UNRESERVED.fullmatch(s) for s in states)


def test_authorization_url_carries_every_parameter() -> None:
    url = authorization_url(client_id="cid.apps.googleusercontent.com", redirect_uri="http://127.0.0.1:8000/cb?x=1",
                            scope=ADS_SCOPE, state="st/ate+1", code_challenge=RFC_CHALLENGE)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == GOOGLE_AUTH_URL
    assert parse_qs(parts.query, strict_parsing=True) == {
        "response_type": ["code"], "client_id": ["cid.apps.googleusercontent.com"],
        "redirect_uri": ["http://127.0.0.1:8000/cb?x=1"], "scope": [ADS_SCOPE], "state": ["st/ate+1"],
        "code_challenge": [RFC_CHALLENGE], "code_challenge_method": ["S256"], "access_type": ["offline"],
        "prompt": ["consent"]}
    assert "st%2Fate%2B1" in url  # encoded, not pasted


def test_authorization_url_base_is_overridable_and_scopes_join() -> None:
    url = authorization_url(client_id="c", redirect_uri="http://localhost/cb", scope=[ADS_SCOPE, GA4_SCOPE],
                            state="s", code_challenge=RFC_CHALLENGE, auth_url="http://127.0.0.1:9/auth?hd=x")
    assert url.startswith("http://127.0.0.1:9/auth?hd=x&")
    assert parse_qs(urlsplit(url).query)["scope"] == [f"{ADS_SCOPE} {GA4_SCOPE}"]
    with pytest.raises(InvalidInput) as bad:
        authorization_url(client_id="c", redirect_uri="r", scope=ADS_SCOPE, state="s", code_challenge="x",
                          auth_url="javascript:alert(1)")
    assert bad.value.field == "auth_url"
    with pytest.raises(InvalidInput) as missing:
        authorization_url(client_id="", redirect_uri="r", scope=ADS_SCOPE, state="s", code_challenge="x")
    assert missing.value.field == "client_id"


def test_scopes_by_connector_kind() -> None:
    assert GOOGLE_SCOPES == {"google_ads": "https://www.googleapis.com/auth/adwords",
                             "ga4": "https://www.googleapis.com/auth/analytics.readonly"}


# -- token exchange ------------------------------------------------------------------------------------------


def exchange_with(handler, **overrides):
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    args = {"code": "4/0abc", "redirect_uri": "http://127.0.0.1:8000/cb", "client_id": "cid",
            "client_secret": "csecret", "code_verifier": RFC_VERIFIER, **overrides}
    with httpx.Client(transport=httpx.MockTransport(record)) as client:
        return exchange_code(client=client, **args), seen


def test_exchange_posts_the_form_and_reads_the_tokens() -> None:
    body = {"access_token": "ya29.a", "expires_in": 3599, "refresh_token": "1//r", "scope": ADS_SCOPE,
            "token_type": "Bearer"}
    tokens, seen = exchange_with(lambda r: httpx.Response(200, json=body))
    (request,) = seen
    assert request.method == "POST" and str(request.url) == GOOGLE_TOKEN_URL
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["authorization_code"], "code": ["4/0abc"], "redirect_uri": ["http://127.0.0.1:8000/cb"],
        "client_id": ["cid"], "client_secret": ["csecret"], "code_verifier": [RFC_VERIFIER]}
    assert (tokens.access_token, tokens.refresh_token, tokens.expires_in, tokens.scope, tokens.token_type) == (
        "ya29.a", "1//r", 3599, ADS_SCOPE, "Bearer")
    assert "ya29.a" not in repr(tokens) and "1//r" not in repr(tokens)


def test_exchange_without_refresh_token() -> None:
    tokens, _ = exchange_with(lambda r: httpx.Response(200, json={"access_token": "ya29.b", "expires_in": 10}),
                              token_url="http://127.0.0.1:9/token")
    assert tokens.refresh_token is None and tokens.scope == "" and tokens.token_type == "Bearer"


def test_google_errors_become_typed_errors() -> None:
    def invalid_grant(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_grant", "error_description": "Bad Request"})

    with pytest.raises(OAuthError) as refused:
        exchange_with(invalid_grant)
    error = refused.value
    assert isinstance(error, TerminalError)
    assert (error.error, error.description, error.http_status) == ("invalid_grant", "Bad Request", 400)
    assert error.message == ("Google refused: invalid_grant: the authorization code is invalid, expired or already "
                             "used, or the PKCE verifier does not match; start the authorization again (Bad Request)")

    with pytest.raises(OAuthError) as client:
        exchange_with(lambda r: httpx.Response(401, json={"error": "invalid_client",
                                                          "error_description": "Unauthorized"}))
    assert client.value.error == "invalid_client" and "client secret is wrong" in client.value.message

    with pytest.raises(OAuthError) as unknown:
        exchange_with(lambda r: httpx.Response(400, json={"error": "something_new"}))
    assert unknown.value.message == "Google refused: something_new"

    with pytest.raises(OAuthError) as html:
        exchange_with(lambda r: httpx.Response(403, text="<html>denied</html>"))
    assert html.value.error == "http_403"

    with pytest.raises(OAuthError) as no_token:
        exchange_with(lambda r: httpx.Response(200, json={"token_type": "Bearer"}))
    assert no_token.value.error == "invalid_response"


def test_unavailable_endpoint_is_retryable() -> None:
    with pytest.raises(RetryableError, match="HTTP 503"):
        exchange_with(lambda r: httpx.Response(503, json={"error": "internal_failure"}))

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(RetryableError, match="did not answer in time"):
        exchange_with(timeout)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(RetryableError, match="could not reach the token endpoint oauth2.googleapis.com"):
        exchange_with(refused)
    with pytest.raises(InvalidInput):
        exchange_with(refused, token_url="ftp://example.com/token")
