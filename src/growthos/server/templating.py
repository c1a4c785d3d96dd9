"""Jinja templates for the pages (server-rendered; scripts and styles served from /static)."""

from __future__ import annotations

from importlib import resources

from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(resources.files("growthos.server") / "templates"))
