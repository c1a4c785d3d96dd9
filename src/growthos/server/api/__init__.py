"""JSON API routers, one module per area; each route parses input, calls one service, returns JSON."""

from fastapi import APIRouter

from growthos.server.api import health

router = APIRouter(prefix="/api")
router.include_router(health.router)
