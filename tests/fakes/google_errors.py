"""Google API error bodies and bearer-token checks shared by the Google Ads and GA4 fakes.

Google's JSON APIs answer errors as ``{"error": {"code": <http status>, "message": ..., "status":
<canonical code name>, "details": [...]}}``. A missing, unknown or expired OAuth access token is refused
by Google's front end before the API sees it: HTTP 401 ``UNAUTHENTICATED`` with the same message for all
three; a token without the API's scope gets 403 ``PERMISSION_DENIED`` ("insufficient authentication scopes").
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from fakes.tokens import TokenRegistry, TokenState

CANONICAL = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
"""HTTP status -> google.rpc.Code name, as Google's JSON transcoding maps them."""

MESSAGES = {
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
    504: "The service is currently unavailable.",
}

UNAUTHENTICATED_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def google_error(code: int, message: str | None = None, details: list[dict[str, Any]] | None = None,
                 status: str | None = None) -> dict[str, Any]:
    """``{"error": {"code", "message", "status"[, "details"]}}``."""
    error: dict[str, Any] = {
        "code": code,
        "message": message or MESSAGES.get(code, "Request failed."),
        "status": status or CANONICAL.get(code, "UNKNOWN"),
    }
    if details:
        error["details"] = details
    return {"error": error}


def unauthenticated() -> tuple[int, dict[str, Any]]:
    """The 401 Google answers for a missing, invalid or expired access token."""
    return 401, google_error(401, UNAUTHENTICATED_MESSAGE)


def insufficient_scopes(service: str) -> dict[str, Any]:
    return google_error(403, "Request had insufficient authentication scopes.", [{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        "domain": "googleapis.com",
        "metadata": {"service": service},
    }])


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive), else None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def check_bearer(request: Request, tokens: TokenRegistry, scope: str, service: str) -> JSONResponse | None:
    """None when the request carries a valid token with ``scope``; else the error response Google sends."""
    token = bearer_token(request)
    if tokens.check(token) is not TokenState.VALID:
        status, body = unauthenticated()
        return JSONResponse(body, status_code=status,
                            headers={"www-authenticate": 'Bearer realm="https://accounts.google.com/"'})
    assert token is not None
    if not tokens.has_scope(token, scope):
        return JSONResponse(insufficient_scopes(service), status_code=403)
    return None
