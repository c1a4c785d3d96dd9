"""Browser SDKs GrowthOS serves to its users' own sites: ``GET /sdk/vitals.js``, the Core Web Vitals snippet.

The file is built at set-up (``make assets``: Google's web-vitals library from npm and
``static/sdk-src/vitals-snippet.js``) into ``static/vendor/vitals.js``; nothing is fetched from a CDN at run
time. It is public (the ingest key travels in the embedding tag, not here), may be loaded from any origin,
and is cached for an hour. Before the asset is built the route answers 503 with a problem naming the fix.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from growthos.server.problems import problem

router = APIRouter(prefix="/sdk", tags=["sdk"])

VITALS_ASSET = "vendor/vitals.js"
"""The built snippet, relative to the server's static directory."""
HEADERS = {
    "Cache-Control": "public, max-age=3600",
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
}


def static_file(name: str) -> Path:
    """A file of the server's static directory (which may not exist)."""
    return Path(str(resources.files("growthos.server") / "static")) / name


@router.get(
    "/vitals.js", response_class=FileResponse,
    summary="The Core Web Vitals snippet: <script src=\".../sdk/vitals.js\" data-key=\"gos_ingest_...\" defer>",
    responses={200: {"content": {"text/javascript": {}}, "description": "The snippet (JavaScript)"},
               503: {"description": "The snippet was not built (run `make assets`)"}},
)
def vitals_js() -> Response:
    path = static_file(VITALS_ASSET)
    if not path.is_file():
        return problem(503, "Snippet not built",
                       "the web vitals snippet has not been built on this server: run `make assets` (or `make "
                       "setup`), which builds static/vendor/vitals.js from the web-vitals npm package",
                       instance="/sdk/vitals.js", slug="snippet-not-built",
                       headers={"Access-Control-Allow-Origin": "*", "Retry-After": "3600"})
    return FileResponse(path, media_type="text/javascript", headers=HEADERS)
