"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from growthos.core.errors import GrowthOSError, RetryableError

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str, *, instance: str | None = None, slug: str | None = None,
            invalid_params: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None,
            ) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if invalid_params:
        body["invalid_params"] = invalid_params
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-")


async def _growthos_error(request: Request, exc: GrowthOSError) -> JSONResponse:
    params = [{"name": exc.field, "reason": exc.message}] if exc.field else None
    headers = None
    if isinstance(exc, RetryableError) and exc.retry_after:
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}  # whole seconds; 0 means "now"
    return problem(exc.status, exc.title, exc.message, instance=request.url.path, slug=_slug(exc.title),
                   invalid_params=params, headers=headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    params = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":  # loc would be the byte offset
            params.append({"name": "body", "reason": f"not valid JSON: {err.get('ctx', {}).get('error', '')}"})
            continue
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path", "header")]
        params.append({"name": ".".join(loc) or "request", "reason": err.get("msg", "invalid")})
    detail = "; ".join(f"{p['name']}: {p['reason']}" for p in params)
    return problem(422, "Invalid input", detail, instance=request.url.path, slug="invalid-input",
                   invalid_params=params)


FASTAPI_BODY_ERROR = "There was an error parsing the body"
"""FastAPI's detail when a body cannot be decoded at all (e.g. JSON nested deeper than the parser recurses)."""


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed"}
    title = titles.get(exc.status_code, "HTTP error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    params = None
    if exc.status_code == 400 and detail == FASTAPI_BODY_ERROR:
        title, detail = "Invalid input", "body is not JSON this server can read (malformed or nested too deeply)"
        params = [{"name": "body", "reason": detail}]
    return problem(exc.status_code, title, detail, instance=request.url.path, slug=_slug(title),
                   invalid_params=params, headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return problem(500, "Internal error", "the server failed to answer; see its log", instance=request.url.path,
                   slug="internal-error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(GrowthOSError, _growthos_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
