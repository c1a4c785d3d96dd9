"""HTML pages: one module per page or area; each renders a template around data from the API."""

from fastapi import APIRouter

from growthos.server.pages import dashboard, login

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
router.include_router(dashboard.router)
