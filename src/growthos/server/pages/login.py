"""/login?token=<key> starts a session (HttpOnly, SameSite cookie) and redirects to /; /logout ends it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from growthos.server.auth import SESSION_COOKIE, Principal, require_read
from growthos.server.templating import templates

router = APIRouter()
SESSION_TTL_S = 8 * 3600
NO_REFERRER = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@router.get("/login", response_class=HTMLResponse)
async def login(request: Request, token: str | None = None) -> Response:
    if not token:
        return templates.TemplateResponse(request, "login.html", {"error": None}, headers=NO_REFERRER)
    store = request.app.state.growthos.workspace.store
    key = await run_in_threadpool(store.authenticate_key, token)
    if key is None or key.scope == "ingest":
        error = "This key is unknown or revoked." if key is None else "Ingest keys cannot open the dashboard."
        return templates.TemplateResponse(request, "login.html", {"error": error}, status_code=401,
                                          headers=NO_REFERRER)
    _session, session_token = await run_in_threadpool(store.create_session, key.id, SESSION_TTL_S)
    response = RedirectResponse("/", status_code=303, headers=NO_REFERRER)
    response.set_cookie(SESSION_COOKIE, session_token, max_age=SESSION_TTL_S, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
async def logout(request: Request, principal: Annotated[Principal, Depends(require_read)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(request.app.state.growthos.workspace.store.delete_session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
