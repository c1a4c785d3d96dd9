"""/api/wbr on the live demo server: JSON with facts, Markdown and HTML; read scope; bad input is 422."""

from __future__ import annotations


def test_wbr_formats(api, live_server) -> None:
    read = live_server.auth("read")
    data = api.get("/api/wbr", headers=read).json()
    assert (data["week_start"], data["week_end"]) == ("2026-02-02", "2026-02-08")
    assert data["facts"] and data["source"].startswith("diff:")
    markdown = api.get("/api/wbr", params={"format": "markdown", "week_end": "2026-02-05"}, headers=read)
    assert markdown.status_code == 200 and markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith("# Weekly Business Review: 2026-02-02 – 2026-02-08")
    html = api.get("/api/wbr", params={"format": "html"}, headers=read)
    assert html.status_code == 200 and html.text.startswith("<!DOCTYPE html>")


def test_wbr_needs_a_key_and_a_complete_week(api, live_server) -> None:
    assert api.get("/api/wbr").status_code == 401
    response = api.get("/api/wbr", params={"week_end": "2026-02-09"}, headers=live_server.auth("read"))
    assert response.status_code == 422 and "week_end" in response.text
    response = api.get("/api/wbr", params={"format": "pdf"}, headers=live_server.auth("read"))
    assert response.status_code == 422
