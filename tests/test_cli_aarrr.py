"""`growthos aarrr ... --json` equals /api/aarrr/* on the live demo; the tables render; bad input is one clear line."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from growthos.cli import app as cli

runner = CliRunner()


def run(live_server, *args: str):
    return runner.invoke(cli, ["--data-dir", str(live_server.settings.data_dir), "aarrr", *args])


def api_json(live_server, route: str, params: dict | None = None) -> dict:
    response = httpx.get(live_server.url + route, params=params, headers=live_server.auth("read"), timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("args", "route", "params"), [
    (["funnel", "--range", "30d"], "/api/aarrr/funnel", {"range": "30d"}),
    (["activation", "--from", "2026-01-01", "--to", "2026-01-31"], "/api/aarrr/activation",
     {"from": "2026-01-01", "to": "2026-01-31"}),
    (["bottlenecks", "--range", "90d"], "/api/aarrr/activation/bottlenecks", {"range": "90d"}),
    (["definitions"], "/api/aarrr/activation/definitions", None),
])
def test_json_equals_the_api(live_server, args, route, params):
    result = run(live_server, *args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == api_json(live_server, route, params)


def test_user_json_equals_the_api(live_server):
    person = live_server.warehouse_rows(
        "SELECT person_id FROM events_people WHERE event = 'Meal Plan Created' ORDER BY \"timestamp\" DESC LIMIT 1")[0]
    result = run(live_server, "user", person["person_id"], "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == api_json(live_server, f"/api/aarrr/activation/users/{person['person_id']}")


@pytest.mark.parametrize("args", [["funnel"], ["activation", "--range", "7d"], ["bottlenecks"], ["definitions"]])
def test_tables_render(live_server, args):
    result = run(live_server, *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()


def test_bad_range_is_one_clear_line(live_server):
    result = run(live_server, "funnel", "--range", "5d")
    assert result.exit_code != 0
    assert "range must be one of" in result.output
