"""GET /api/catalogue: every KPI's definition (name, label, formula, unit, polarity, format)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from growthos.metrics.docs import catalogue_json
from growthos.server.api.params import AUTH_RESPONSES, READ

router = APIRouter(tags=["catalogue"], dependencies=READ, responses=AUTH_RESPONSES)


@router.get("/catalogue", summary="Every KPI's definition")
def catalogue() -> dict[str, Any]:
    return {"metrics": catalogue_json()}
