"""Fake Google OAuth 2.0 server: authorization endpoint, token endpoint and revocation.

Protocol facts reproduced (RFC 6749 authorization-code grant with RFC 7636 PKCE, as Google runs it):

- ``GET /o/oauth2/v2/auth`` (Google: accounts.google.com) takes ``client_id``, ``redirect_uri``,
  ``response_type=code``, ``scope`` (space-separated), ``state``, ``code_challenge`` +
  ``code_challenge_method`` (``S256``; ``plain`` is accepted too, as Google does), ``access_type``,
  ``prompt``. An unknown client or an unregistered redirect URI is never redirected to: Google shows an
  error page (401 ``invalid_client`` / 400 ``redirect_uri_mismatch``). Other problems redirect with
  ``error=invalid_request|unsupported_response_type|invalid_scope`` and the ``state``. Instead of a
  login and consent page the user consents at once: 302 to ``redirect_uri?code=...&state=...&scope=...``,
  or ``error=access_denied`` after ``deny()``.
- A refresh token is issued only with ``access_type=offline``, and only on the first consent of a client
  or with ``prompt=consent`` (Google's rule; re-authorizing without ``prompt=consent`` gives none).
- ``POST /token`` (Google: oauth2.googleapis.com/token), form-encoded; client credentials in the body or
  HTTP Basic. ``grant_type=authorization_code`` checks client_id/secret (401 ``invalid_client``), the
  code (single use, bound to client and redirect_uri, expires after 10 minutes: 400 ``invalid_grant``) and
  the PKCE ``code_verifier`` (400 ``invalid_grant``); answers ``{access_token, expires_in: 3599,
  refresh_token?, scope, token_type: "Bearer"}`` with ``Cache-Control: no-store``.
  ``grant_type=refresh_token`` answers a new access token (no new refresh token); a revoked or unknown
  refresh token → 400 ``{"error": "invalid_grant", "error_description": "Token has been expired or
  revoked."}``.
- ``POST /revoke`` (``token`` in the form or query) revokes a refresh token and its access tokens.

Public API::

    registry = TokenRegistry()
    oauth = FakeGoogleOAuth(tokens=registry, client_id=..., client_secret=..., redirect_uris=None)
    # redirect_uris None: any http://127.0.0.1 or http://localhost URI (Google's loopback rule)
    oauth.deny(times=1)               # the next authorizations answer error=access_denied
    oauth.issue(scopes)               # (access_token, refresh_token) without the browser flow
    oauth.tokens.expire(); oauth.tokens.revoke(refresh); oauth.tokens.advance(seconds)
    with oauth.serve() as base_url: ...  # oauth.faults, oauth.log as in fakes.server
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from fakes.server import FakeService
from fakes.tokens import TokenRegistry

ADS_SCOPE = "https://www.googleapis.com/auth/adwords"
GA4_SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
KNOWN_SCOPES = frozenset({ADS_SCOPE, GA4_SCOPE, "openid", "email", "profile",
                          "https://www.googleapis.com/auth/userinfo.email",
                          "https://www.googleapis.com/auth/userinfo.profile"})
CODE_LIFETIME = 600
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str | None
    method: str
    with_refresh: bool
    expires_at: float
    used: bool = False


def s256_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE code verifier: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class FakeGoogleOAuth(FakeService):
    """Google's OAuth 2.0 authorization and token endpoints for one registered web client."""

    def __init__(self, tokens: TokenRegistry | None = None,
                 client_id: str = "test-client.apps.googleusercontent.com", client_secret: str = "test-secret",
                 redirect_uris: list[str] | None = None) -> None:
        super().__init__()
        self.tokens = tokens if tokens is not None else TokenRegistry()
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris
        self._lock = threading.Lock()
        self._codes: dict[str, _Grant] = {}
        self._consented: set[str] = set()
        self._deny = 0

    # -- test controls
    def deny(self, times: int = 1) -> None:
        """The next ``times`` authorizations end with ``error=access_denied`` (the user clicked Cancel)."""
        with self._lock:
            self._deny += times

    def issue(self, scopes: tuple[str, ...] = (ADS_SCOPE, GA4_SCOPE)) -> tuple[str, str]:
        """An (access token, refresh token) pair for this client, as a finished flow would give."""
        refresh = self.tokens.grant_refresh(self.client_id, scopes)
        access = self.tokens.grant(scopes=scopes, client_id=self.client_id)
        self.tokens.link(refresh, access)
        return access, refresh

    # -- protocol
    def routes(self) -> list[Route]:
        return [
            Route("/o/oauth2/v2/auth", self._authorize, methods=["GET"]),
            Route("/token", self._token, methods=["POST"]),
            Route("/revoke", self._revoke, methods=["POST"]),
        ]

    def error_body(self, status: int) -> Any:
        return {"error": "internal_failure" if status >= 500 else "invalid_request",
                "error_description": f"HTTP {status}"}

    def expired_token_response(self) -> tuple[int, Any]:
        return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}

    def _redirect_allowed(self, uri: str) -> bool:
        if self.redirect_uris is not None:
            return uri in self.redirect_uris
        parts = urlsplit(uri)
        return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")

    async def _authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != self.client_id:
            return _error_page(401, "invalid_client", "The OAuth client was not found.")
        redirect_uri = q.get("redirect_uri", "")
        if not self._redirect_allowed(redirect_uri):
            return _error_page(400, "redirect_uri_mismatch",
                               "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
                               "policy. Register the redirect URI in the Google Cloud Console.")
        state = q.get("state")

        def back(**params: str) -> RedirectResponse:
            if state is not None:
                params["state"] = state
            sep = "&" if urlsplit(redirect_uri).query else "?"
            return RedirectResponse(f"{redirect_uri}{sep}{urlencode(params)}", status_code=302)

        if q.get("response_type") != "code":
            return back(error="unsupported_response_type")
        scopes = tuple(q.get("scope", "").split())
        if not scopes:
            return back(error="invalid_request", error_description="Missing required parameter: scope")
        if any(s not in KNOWN_SCOPES for s in scopes):
            return back(error="invalid_scope", error_description="Some requested scopes were invalid.")
        challenge = q.get("code_challenge")
        method = q.get("code_challenge_method", "plain")
        if challenge is None:
            return back(error="invalid_request", error_description="Missing required parameter: code_challenge")
        if method not in ("S256", "plain") or not _VERIFIER.fullmatch(challenge):
            return back(error="invalid_request", error_description="Invalid code_challenge or method.")
        access_type = q.get("access_type", "online")
        if access_type not in ("online", "offline"):
            return back(error="invalid_request", error_description=f"Invalid access_type: {access_type}")
        prompt = set(q.get("prompt", "").split())
        with self._lock:
            if self._deny:
                self._deny -= 1
                return back(error="access_denied")
            first = self.client_id not in self._consented
            self._consented.add(self.client_id)
            code = "4/0fake-" + secrets.token_urlsafe(32)
            self._codes[code] = _Grant(self.client_id, redirect_uri, scopes, challenge, method,
                                       with_refresh=access_type == "offline" and (first or "consent" in prompt),
                                       expires_at=self.tokens.now() + CODE_LIFETIME)
        return back(code=code, scope=" ".join(scopes))

    def _client(self, request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return user, password
            except ValueError:
                return None, None
        return form.get("client_id"), form.get("client_secret")

    async def _token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        grant_type = form.get("grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            return _token_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")
        client_id, client_secret = self._client(request, form)
        if client_id != self.client_id:
            return _token_error(401, "invalid_client", "The OAuth client was not found.")
        if not hmac.compare_digest(client_secret or "", self.client_secret):
            return _token_error(401, "invalid_client", "Unauthorized")
        if grant_type == "refresh_token":
            return self._refresh(form)
        return self._exchange(form)

    def _exchange(self, form: dict[str, str]) -> Response:
        code = form.get("code")
        if not code:
            return _token_error(400, "invalid_request", "Missing required parameter: code")
        with self._lock:
            grant = self._codes.get(code)
            if grant is None:
                return _token_error(400, "invalid_grant", "Malformed auth code.")
            if grant.used or self.tokens.now() > grant.expires_at:
                return _token_error(400, "invalid_grant", "Bad Request")
            if form.get("redirect_uri") != grant.redirect_uri:
                return _token_error(400, "redirect_uri_mismatch", "Bad Request")
            verifier = form.get("code_verifier")
            if grant.challenge is not None and not _verifier_matches(verifier, grant.challenge, grant.method):
                return _token_error(400, "invalid_grant", "Invalid code verifier.")
            grant.used = True
        access = self.tokens.grant(scopes=grant.scopes, client_id=grant.client_id)
        body: dict[str, Any] = {"access_token": access, "expires_in": self.tokens.access_lifetime}
        if grant.with_refresh:
            refresh = self.tokens.grant_refresh(grant.client_id, grant.scopes)
            self.tokens.link(refresh, access)
            body["refresh_token"] = refresh
        body.update(scope=" ".join(grant.scopes), token_type="Bearer")
        return JSONResponse(body, headers=_NO_STORE)

    def _refresh(self, form: dict[str, str]) -> Response:
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            return _token_error(400, "invalid_request", "Missing required parameter: refresh_token")
        record = self.tokens.refresh(refresh_token, self.client_id)
        if record is None:
            return _token_error(400, "invalid_grant", "Token has been expired or revoked.")
        return JSONResponse({"access_token": record.token, "expires_in": self.tokens.access_lifetime,
                             "scope": " ".join(sorted(record.scopes)), "token_type": "Bearer"}, headers=_NO_STORE)

    async def _revoke(self, request: Request) -> Response:
        form = await request.form()
        token = str(form.get("token") or request.query_params.get("token") or "")
        try:
            self.tokens.revoke(token)
        except KeyError:
            if self.tokens.access(token) is None:
                return JSONResponse({"error": "invalid_token", "error_description": "Token expired or revoked"},
                                    status_code=400)
            self.tokens.expire(token)
        return Response(status_code=200)


def _verifier_matches(verifier: str | None, challenge: str, method: str) -> bool:
    if verifier is None or not _VERIFIER.fullmatch(verifier):
        return False
    expected = s256_challenge(verifier) if method == "S256" else verifier
    return hmac.compare_digest(expected, challenge)


def _token_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=_NO_STORE)


def _error_page(status: int, error: str, description: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><title>Error {status}: {error}</title>"
                        f"<h1>Error {status}: {error}</h1><p>{description}</p>", status_code=status)
