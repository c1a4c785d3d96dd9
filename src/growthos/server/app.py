"""The FastAPI application: API routers, pages, static files, problem details, access log."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from growthos import __version__
from growthos.config import Settings
from growthos.server import problems
from growthos.server.state import ServerState
from growthos.workspace import Workspace

access_log = logging.getLogger("growthos.access")

# Paths whose query strings carry secrets and are never logged.
_SECRET_QUERY_PATHS = frozenset({"/login"})


def create_app(settings: Settings) -> FastAPI:
    """The app for one workspace; the process owns its warehouse while it runs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = ServerState(Workspace(settings))
        state.start()
        app.state.growthos = state
        try:
            yield
        finally:
            state.close()

    app = FastAPI(
        title="GrowthOS",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    problems.install(app)

    @app.middleware("http")
    async def log_requests(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        path = request.url.path
        query = request.url.query
        shown = path if (not query or path in _SECRET_QUERY_PATHS) else f"{path}?{query}"
        access_log.info("%s %s %s %.1fms", request.method, shown, response.status_code,
                        (time.perf_counter() - started) * 1000)
        return response

    from growthos.server.api import router as api_router
    from growthos.server.api import segment_router
    from growthos.server.pages import router as pages_router

    app.include_router(api_router)
    app.include_router(segment_router)
    app.include_router(pages_router)
    static_dir = resources.files("growthos.server") / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    return app
