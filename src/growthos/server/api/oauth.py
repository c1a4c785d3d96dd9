"""Connect a Google Ads or GA4 connection with Google: the OAuth 2.0 authorization-code flow with state and PKCE.

``GET /api/connections/google/oauth/start?connection=NAME`` (admin) keeps a pending authorization (state hashed,
PKCE verifier encrypted, 10 minutes) and sends the browser to Google's consent page (302; or JSON
``{authorization_url}`` when asked for JSON). Google sends it back to ``GET .../callback?code=&state=``, which
needs no key: the state is the proof, and it works once. The callback trades the code (with the verifier) for
tokens, stores the refresh token in the connection's secrets (encrypted) and redirects to the Connections page
with the outcome. An unknown, expired or used state is a 400 problem and nothing is stored; a refusal by Google
(``error=access_denied``, or ``invalid_grant`` at the token endpoint) is shown on the page, nothing stored.

Endpoints: Google's, unless the connection has ``auth_url`` / ``token_url`` settings, or the app has
``app.state.google_oauth`` (a ``GoogleEndpoints``, for tests' fake server or a proxy).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from growthos.core.errors import GrowthOSError, InvalidInput, RetryableError
from growthos.security.oauth import (
    GOOGLE,
    GOOGLE_SCOPES,
    GoogleEndpoints,
    OAuthError,
    authorization_url,
    exchange_code,
    explain,
)
from growthos.server.api.params import ADMIN, AUTH_RESPONSES, problem_response, server_state
from growthos.sources.connectors import ConnectionConfig
from growthos.store.connections import connectors

log = logging.getLogger("growthos.server.oauth")

router = APIRouter(tags=["connections"])

CALLBACK_ROUTE = "google_oauth_callback"
CONNECTIONS_PAGE = "/connections"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
MAX_MESSAGE = 500

ConnectionParam = Annotated[str, Query(min_length=1, max_length=64, description="The connection to authorize.",
                                       examples=["google-ads"])]


@router.get("/connections/google/oauth/start", dependencies=ADMIN, name="google_oauth_start",
            summary="Start connecting a Google Ads or GA4 connection with Google (redirects to its consent page)",
            responses={**AUTH_RESPONSES, 302: {"description": "To Google's consent page"},
                       404: problem_response("No connection with this name"),
                       422: problem_response("Not a Google connection, or its client ID or secret is missing")})
def start(request: Request, connection: ConnectionParam) -> Response:
    store = server_state(request).workspace.store
    config = store.connection_config(connection)
    scope = _scope_of(config)
    client_id, client_secret = _client(config)
    del client_secret  # checked here, sent only by the callback
    endpoints = _endpoints(request, config)
    redirect_uri = str(request.url_for(CALLBACK_ROUTE))
    pending = store.begin_oauth(connection, redirect_uri)
    url = authorization_url(client_id=client_id, redirect_uri=redirect_uri, scope=scope, state=pending.state,
                            code_challenge=pending.code_challenge, auth_url=endpoints.auth_url)
    if _wants_json(request):
        return JSONResponse({"authorization_url": url, "connection": connection,
                             "expires_at": pending.expires_at.isoformat()}, headers=NO_STORE)
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


@router.get("/connections/google/oauth/callback", name=CALLBACK_ROUTE,
            summary="Where Google sends the browser back: exchange the code, store the refresh token",
            responses={303: {"description": "To the Connections page, with the outcome"},
                       400: problem_response("Unknown, expired or already used state: nothing was stored")})
def callback(
    request: Request,
    state: Annotated[str | None, Query(max_length=512, description="The state the start route issued.")] = None,
    code: Annotated[str | None, Query(max_length=4096, description="Google's authorization code.")] = None,
    error: Annotated[str | None, Query(max_length=128, description="Google's error (access_denied...).")] = None,
    error_description: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response:
    store = server_state(request).workspace.store
    pending = store.consume_oauth_state(state or "")  # OAuthStateError (400) unless pending, in time, unused
    name = pending.connection
    if error is not None:
        log.info("Google authorization of connection %s ended with %s", name, error[:64])
        message = f"Google did not authorize: {error}: {explain(error)}"
        if error_description:
            message += f" ({error_description})"
        return _back(name, error=message)
    if not code:
        return _back(name, error="Google sent no authorization code back; start again")
    try:
        config = store.connection_config(name)
        client_id, client_secret = _client(config)
        tokens = exchange_code(code=code, redirect_uri=pending.redirect_uri, client_id=client_id,
                               client_secret=client_secret, code_verifier=pending.code_verifier,
                               token_url=_endpoints(request, config).token_url)
        if tokens.refresh_token is None:
            return _back(name, error="Google answered without a refresh token (offline access was not granted); "
                                     "remove GrowthOS's access in your Google account and connect again")
        store.update_connection(name, {"refresh_token": tokens.refresh_token})
        granted = ", ".join(s.rsplit("/", 1)[-1] for s in tokens.scope.split()) or "the requested scope"
        store.record_test_result(name, True, f"Connected with Google ({granted}); refresh token stored")
    except (OAuthError, RetryableError) as exc:
        log.warning("exchanging Google's code for connection %s failed: %s", name, getattr(exc, "error", "retry"))
        return _back(name, error=exc.message)
    except GrowthOSError as exc:
        return _back(name, error=exc.message)
    log.info("connection %s connected with Google; refresh token stored", name)
    return _back(name)


# -- helpers ------------------------------------------------------------------------------------------------


def _scope_of(config: ConnectionConfig) -> str:
    scope = GOOGLE_SCOPES.get(config.kind)
    if scope is None:
        kinds = " or ".join(sorted(GOOGLE_SCOPES))
        raise InvalidInput(f"connection {config.name!r} is a {config.kind} connection; only {kinds} connections "
                           f"connect with Google", field="connection")
    connector = connectors().get(config.kind)
    if connector is None or "refresh_token" not in {f.name for f in connector.fields}:
        raise InvalidInput(f"the {config.kind} connector has no refresh_token field to store Google's token in",
                           field="connection")
    return scope


def _client(config: ConnectionConfig) -> tuple[str, str]:
    client_id = config.settings.get("client_id") or config.secrets.get("client_id")
    client_secret = config.secrets.get("client_secret") or config.settings.get("client_secret")
    for fieldname, value in (("client_id", client_id), ("client_secret", client_secret)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"connection {config.name!r} has no {fieldname}: set the OAuth client's ID and secret "
                               f"(Google Cloud Console, OAuth client of type Web application) first", field=fieldname)
    return str(client_id).strip(), str(client_secret).strip()


def _endpoints(request: Request, config: ConnectionConfig) -> GoogleEndpoints:
    default = getattr(request.app.state, "google_oauth", None) or GOOGLE
    auth_url = config.settings.get("auth_url")
    token_url = config.settings.get("token_url")
    return GoogleEndpoints(auth_url=auth_url if isinstance(auth_url, str) and auth_url else default.auth_url,
                           token_url=token_url if isinstance(token_url, str) and token_url else default.token_url)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _back(connection: str, *, error: str | None = None) -> RedirectResponse:
    """303 to the Connections page, saying how the authorization of ``connection`` ended."""
    params: dict[str, Any] = {"oauth": "error" if error else "connected", "connection": connection}
    if error:
        params["message"] = error[:MAX_MESSAGE]
    return RedirectResponse(f"{CONNECTIONS_PAGE}?{urlencode(params)}", status_code=303, headers=NO_STORE)
