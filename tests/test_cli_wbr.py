"""`growthos wbr` on the demo workspace says what /api/wbr says."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from growthos.cli import app as cli

runner = CliRunner()


def _api(live_server, **params) -> httpx.Response:
    response = httpx.get(live_server.url + "/api/wbr", params=params, headers=live_server.auth("read"), timeout=60)
    assert response.status_code == 200, response.text
    return response


def test_cli_and_api_agree(live_server) -> None:
    base = ["--data-dir", str(live_server.settings.data_dir), "wbr", "--week-end", "2026-02-08"]
    ours = runner.invoke(cli, [*base, "--format", "json"])
    assert ours.exit_code == 0, ours.output
    cli_json = json.loads(ours.stdout)
    api_json = _api(live_server, week_end="2026-02-08").json()
    for data in (cli_json, api_json):
        data.pop("generated_at")
    assert cli_json == api_json
    markdown = runner.invoke(cli, base)
    assert markdown.exit_code == 0 and markdown.stdout == _api(live_server, week_end="2026-02-08",
                                                                format="markdown").text


def test_errors_are_one_line(live_server) -> None:
    base = ["--data-dir", str(live_server.settings.data_dir), "wbr"]
    result = runner.invoke(cli, [*base, "--week-end", "2026-02-10"])
    assert result.exit_code == 2 and "week_end" in result.output
    result = runner.invoke(cli, [*base, "--format", "pdf"])
    assert result.exit_code == 2 and "format" in result.output
