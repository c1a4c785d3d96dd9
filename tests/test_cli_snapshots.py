"""`growthos snapshot|diff|explain --json` on the demo workspace equal the API's answers."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from growthos.cli import app as cli

runner = CliRunner()


def cli_json(live_server, *args: str):
    result = runner.invoke(cli, ["--data-dir", str(live_server.settings.data_dir), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def api_json(live_server, route: str, params=None):
    response = httpx.get(live_server.url + route, params=params, headers=live_server.auth("read"), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_cli_and_api_agree(live_server) -> None:
    first = cli_json(live_server, "snapshot", "create", "--period", "week", "--end", "2026-01-20")
    second = cli_json(live_server, "snapshot", "create", "--period", "week")
    assert api_json(live_server, f"/api/snapshots/{second['id']}") == second
    assert cli_json(live_server, "snapshot", "show", str(first["id"])) == first
    assert cli_json(live_server, "snapshot", "list") == api_json(live_server, "/api/snapshots")
    ours = cli_json(live_server, "diff", str(first["id"]), str(second["id"]))
    assert ours == api_json(live_server, "/api/snapshots/diff", {"a": first["id"], "b": second["id"]})
    explained = cli_json(live_server, "explain", "net_revenue", "--period", "week", "--by", "channel")
    assert explained == api_json(live_server, "/api/explain", {"metric": "net_revenue", "from": "2026-02-02",
                                                               "to": "2026-02-08", "compare_from": "2026-01-26",
                                                               "compare_to": "2026-02-01"})


def test_tables_render_and_errors_are_one_line(live_server) -> None:
    base = ["--data-dir", str(live_server.settings.data_dir)]
    assert runner.invoke(cli, [*base, "snapshot", "create", "--period", "day"]).exit_code == 0
    assert runner.invoke(cli, [*base, "snapshot", "create", "--period", "day", "--end", "2026-02-08"]).exit_code == 0
    result = runner.invoke(cli, [*base, "diff", "previous", "latest", "--json"])
    assert result.exit_code == 0
    diff = json.loads(result.output)
    assert (diff["a"]["period_end"], diff["b"]["period_end"]) == ("2026-02-08", "2026-02-09")
    result = runner.invoke(cli, [*base, "snapshot", "create", "--period", "year"])
    assert result.exit_code == 2 and "period" in result.output
