"""OAuth 2.0 authorization-code flow with PKCE, as Google runs it for Google Ads and GA4 (pure logic + one POST).

- ``new_code_verifier()`` / ``code_challenge(verifier)``: RFC 7636 PKCE, a random verifier of unreserved
  characters (43-128) and its S256 challenge, BASE64URL(SHA256(verifier)) without padding.
- ``new_state()``: 256 random bits, URL-safe; the server keeps it (hashed) with the verifier until the callback.
- ``authorization_url(...)``: Google's consent URL with ``response_type=code``, the scope, the state, the
  challenge (S256), ``access_type=offline`` and ``prompt=consent`` (Google issues a refresh token only then).
- ``exchange_code(...)``: POST the form to the token endpoint and read ``{access_token, refresh_token, ...}``;
  Google's error bodies (``{"error": "invalid_grant", "error_description": ...}``) become ``OAuthError``, an
  unreachable or failing (5xx) endpoint ``RetryableError``.

``GOOGLE_SCOPES`` maps the connector kinds that connect with Google to the scope each asks for.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from growthos.core.errors import GrowthOSError, InvalidInput, RetryableError, TerminalError

GOOGLE_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
"""Google's authorization (consent) endpoint."""
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
"""Google's token endpoint."""
ADS_SCOPE = "https://www.googleapis.com/auth/adwords"
GA4_SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
GOOGLE_SCOPES: dict[str, str] = {"google_ads": ADS_SCOPE, "ga4": GA4_SCOPE}
"""Connector kind -> the OAuth scope its connection asks for."""

VERIFIER_MIN, VERIFIER_MAX = 43, 128
"""RFC 7636 §4.1: a code verifier is 43 to 128 characters."""
VERIFIER_LENGTH = 64
"""Length of the verifiers made here (64 unreserved characters: 384 bits)."""
STATE_BYTES = 32
"""Random bytes of a state (256 bits)."""
TIMEOUT = httpx.Timeout(20.0, connect=10.0)
"""Token requests: at most 10 s to connect, 20 s for the rest."""
MAX_DESCRIPTION = 300
"""An error description from the token endpoint is cut to this many characters."""

_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}", re.ASCII)
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}", re.ASCII)


class OAuthError(TerminalError):
    """The authorization server refused: ``error`` is its code (``invalid_grant``, ``invalid_client``...)."""

    title = "OAuth error"

    def __init__(self, error: str, description: str = "", *, http_status: int | None = None,
                 field: str | None = None) -> None:
        self.error = error
        self.description = description
        self.http_status = http_status
        super().__init__(_describe(error, description), field=field)


class OAuthStateError(GrowthOSError):
    """The ``state`` of a callback is unknown, expired or already used: nothing is done with its code."""

    status = 400
    title = "Invalid OAuth state"


@dataclass(frozen=True)
class TokenResponse:
    """What the token endpoint answered for a code; the tokens never appear in repr."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    """Present with ``access_type=offline`` and ``prompt=consent`` (or on the first consent)."""
    expires_in: int | None
    """Seconds the access token lives."""
    scope: str
    """Space-separated scopes granted (may be fewer than asked: the user can untick some)."""
    token_type: str


@dataclass(frozen=True)
class GoogleEndpoints:
    """Where the authorization and token endpoints are (Google's; a fake server's in tests)."""

    auth_url: str = GOOGLE_AUTH_URL
    token_url: str = GOOGLE_TOKEN_URL


GOOGLE = GoogleEndpoints()


def new_code_verifier(length: int = VERIFIER_LENGTH) -> str:
    """A PKCE code verifier: ``length`` (43-128) random unreserved characters."""
    if not VERIFIER_MIN <= length <= VERIFIER_MAX:
        raise ValueError(f"a code verifier has {VERIFIER_MIN} to {VERIFIER_MAX} characters; got {length}")
    return "".join(secrets.choice(_UNRESERVED) for _ in range(length))


def is_code_verifier(value: Any) -> bool:
    return isinstance(value, str) and _VERIFIER.fullmatch(value) is not None


def code_challenge(verifier: str) -> str:
    """The S256 challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))) without ``=`` padding."""
    if not is_code_verifier(verifier):
        raise ValueError("a code verifier is 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    """A random state (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(STATE_BYTES)


def authorization_url(*, client_id: str, redirect_uri: str, scope: str | list[str] | tuple[str, ...], state: str,
                      code_challenge: str, auth_url: str = GOOGLE_AUTH_URL) -> str:
    """Google's consent URL for the code flow with PKCE (S256), offline access and a forced consent prompt."""
    _check_http_url(auth_url, "auth_url")
    for name, value in (("client_id", client_id), ("redirect_uri", redirect_uri), ("state", state),
                        ("code_challenge", code_challenge)):
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"{name} is required to start the authorization", field=name)
    scopes = scope if isinstance(scope, str) else " ".join(scope)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scopes,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
    }
    separator = "&" if urlsplit(auth_url).query else "?"
    return f"{auth_url}{separator}{urlencode(params)}"


def exchange_code(*, code: str, redirect_uri: str, client_id: str, client_secret: str, code_verifier: str,
                  token_url: str = GOOGLE_TOKEN_URL, client: httpx.Client | None = None) -> TokenResponse:
    """Trade an authorization code for tokens (``grant_type=authorization_code`` with the PKCE verifier).

    Raises OAuthError with the server's ``error`` (``invalid_grant``: the code is unknown, used, expired or the
    verifier does not match; ``invalid_client``: wrong client id or secret...), RetryableError when the endpoint
    cannot be reached, times out or fails with a 5xx.
    """
    _check_http_url(token_url, "token_url")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "client_secret": client_secret,
        "code_verifier": code_verifier,
    }
    host = urlsplit(token_url).netloc
    try:
        if client is None:
            with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as own:
                response = own.post(token_url, data=form, headers={"Accept": "application/json"})
        else:
            response = client.post(token_url, data=form, headers={"Accept": "application/json"}, timeout=TIMEOUT)
    except httpx.TimeoutException:
        raise RetryableError(f"the token endpoint {host} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise RetryableError(f"could not reach the token endpoint {host}: {type(exc).__name__}") from None
    return _read_token_response(response)


def _read_token_response(response: httpx.Response) -> TokenResponse:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 500:
        raise RetryableError(f"the token endpoint failed with HTTP {response.status_code}")
    if response.status_code != 200:
        if isinstance(body, dict) and isinstance(body.get("error"), str) and _ERROR_CODE.fullmatch(body["error"]):
            description = body.get("error_description")
            raise OAuthError(body["error"], description if isinstance(description, str) else "",
                             http_status=response.status_code)
        raise OAuthError(f"http_{response.status_code}", "the token endpoint refused the request",
                         http_status=response.status_code)
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise OAuthError("invalid_response", "the token endpoint answered without an access_token",
                         http_status=response.status_code)
    refresh = body.get("refresh_token")
    expires_in = body.get("expires_in")
    scope = body.get("scope")
    token_type = body.get("token_type")
    return TokenResponse(
        access_token=body["access_token"],
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in=int(expires_in) if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool)
        else None,
        scope=scope if isinstance(scope, str) else "",
        token_type=token_type if isinstance(token_type, str) else "Bearer",
    )


_EXPLANATIONS = {
    "invalid_grant": "the authorization code is invalid, expired or already used, or the PKCE verifier does not "
                     "match; start the authorization again",
    "invalid_client": "the client ID or client secret is wrong",
    "redirect_uri_mismatch": "the redirect URI is not registered for this OAuth client",
    "unauthorized_client": "this OAuth client may not use the authorization-code flow",
    "access_denied": "access was denied (the consent screen was cancelled, or this account may not grant it)",
    "invalid_scope": "a requested scope is invalid",
}


def explain(error: str) -> str:
    """A sentence for an OAuth error code (the code itself when unknown)."""
    return _EXPLANATIONS.get(error, error)


def _describe(error: str, description: str) -> str:
    text = f"Google refused: {error}: {explain(error)}" if error in _EXPLANATIONS else f"Google refused: {error}"
    description = (description or "").strip()[:MAX_DESCRIPTION]
    return f"{text} ({description})" if description else text


def _check_http_url(url: Any, fieldname: str) -> None:
    if not isinstance(url, str) or not re.match(r"https?://[^\s/]+", url, re.ASCII) or any(c.isspace() for c in url):
        raise InvalidInput(f"{fieldname} must be an http:// or https:// URL; got {url!r}", field=fieldname)
