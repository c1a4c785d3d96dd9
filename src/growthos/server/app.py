"""The FastAPI application: API routers, pages, static files, problem details, access log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from growthos import __version__
from growthos.config import Settings
from growthos.server import problems
from growthos.server.access_log import AccessLog
from growthos.server.body_limit import BodyLimit
from growthos.server.state import ServerState


def create_app(settings: Settings, *, state: ServerState | None = None) -> FastAPI:
    """The app for one workspace; the process owns its warehouse while it runs. Given a started ``state``
    (``ServerState.open``: `growthos serve` opens it first, so that a damaged warehouse is one clear line and
    not a traceback from the server's startup), the app serves it; otherwise the app
    opens its own at startup. Either way it is closed at shutdown (uvicorn re-raises SIGTERM once it has shut
    down, so code after ``uvicorn.run`` does not run then)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.growthos = ServerState.open(settings) if state is None else state
        try:
            yield
        finally:
            app.state.growthos.close()

    app = FastAPI(
        title="GrowthOS",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    problems.install(app)

    app.add_middleware(BodyLimit)
    app.add_middleware(AccessLog)  # outermost: it logs what BodyLimit refuses too

    from growthos.server.api import router as api_router
    from growthos.server.api import segment_router
    from growthos.server.api.otlp import router as otlp_router
    from growthos.server.pages import router as pages_router
    from growthos.server.sdk import router as sdk_router

    app.include_router(segment_router)  # first: routes are matched in order, and ingestion is the hot path
    app.include_router(otlp_router)  # /v1/traces: OpenTelemetry (OTLP/HTTP) export
    app.include_router(api_router)
    app.include_router(pages_router)
    app.include_router(sdk_router)  # /sdk/vitals.js, the browser snippet (public)
    static_dir = resources.files("growthos.server") / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    return app
