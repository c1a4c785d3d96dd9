"""/api/wbr: the Weekly Business Review of a complete week as JSON (with its facts), Markdown or HTML."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from growthos.core.periods import parse_date
from growthos.reports import build_wbr, render_html, render_markdown
from growthos.server.api.params import READ, WAREHOUSE_RESPONSES, server_state, warehouse

router = APIRouter(tags=["reports"])


@router.get("/wbr", dependencies=READ, responses=WAREHOUSE_RESPONSES,
            summary="The Weekly Business Review of a complete Monday–Sunday week (as `growthos wbr`)")
def get_wbr(
    request: Request,
    week_end: Annotated[str | None, Query(description="A day of the week, YYYY-MM-DD (default: the last "
                                                      "complete week).", examples=["2026-02-08"])] = None,
    output: Annotated[Literal["json", "markdown", "html"], Query(alias="format",
                                                                  description="json, markdown or html.")] = "json",
    fragment: Annotated[bool, Query(description="html only: the article without the document around it.")] = False,
) -> Response:
    state = server_state(request)
    day = parse_date(week_end, "week_end") if week_end is not None else None
    with warehouse(state) as engine:
        review = build_wbr(engine=engine, store=state.workspace.store, settings=state.settings, week_end=day)
    if output == "markdown":
        return PlainTextResponse(render_markdown(review), media_type="text/markdown; charset=utf-8")
    if output == "html":
        return HTMLResponse(render_html(review, fragment=fragment))
    return JSONResponse(review.to_dict())
