"""`growthos wbr`: the Weekly Business Review of a complete week as Markdown, HTML or JSON (the same as /api/wbr)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from growthos.cli import _errors, _print_json, _require_built, _settings, app, console


@app.command("wbr")
def wbr_cmd(
    week_end: Annotated[str | None, typer.Option("--week-end", help="A day of the week, YYYY-MM-DD (default: the "
                                                                     "last complete Monday–Sunday week).")] = None,
    output: Annotated[str, typer.Option("--format", help="markdown, html or json.")] = "markdown",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """The Weekly Business Review: headline, what moved and why, channels, anomalies, alerts, forecast."""
    from growthos.core.errors import InvalidInput
    from growthos.core.periods import parse_date
    from growthos.reports import FORMATS, build_wbr, render_html, render_markdown
    from growthos.workspace import Workspace

    with _errors():
        output = "json" if as_json else output
        if output not in FORMATS:
            raise InvalidInput(f"format must be one of {', '.join(FORMATS)}; got {output!r}", field="format")
        settings = _settings()
        day = parse_date(week_end, "week_end") if week_end is not None else None
        with Workspace(settings) as ws:
            _require_built(ws)
            with console.status("Writing the review", spinner="dots"):
                review = build_wbr(ws, week_end=day)
    if output == "json":
        _print_json(review.to_dict())
    elif output == "html":
        sys.stdout.write(render_html(review))
    else:
        sys.stdout.write(render_markdown(review))
