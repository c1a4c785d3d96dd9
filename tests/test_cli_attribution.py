"""`growthos attribution --json` equals /api/attribution on the live demo; the table renders; bad input is one
clear line naming the option."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from growthos.cli import app as cli

runner = CliRunner()


def run(live_server, *args: str):
    return runner.invoke(cli, ["--data-dir", str(live_server.settings.data_dir), "attribution", *args])


def api_json(live_server, params: dict) -> dict:
    response = httpx.get(live_server.url + "/api/attribution", params=params, headers=live_server.auth("read"),
                         timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("args", "params"), [
    (["--range", "30d"], {"range": "30d"}),
    (["--model", "markov", "--from", "2026-01-01", "--to", "2026-01-31", "--lookback", "14"],
     {"model": "markov", "from": "2026-01-01", "to": "2026-01-31", "lookback_days": 14}),
    (["--model", "time_decay", "--half-life", "3", "--conversion", "Signed Up"],
     {"model": "time_decay", "half_life_days": 3, "conversion": "Signed Up"}),
])
def test_json_equals_the_api(live_server, args, params):
    result = run(live_server, *args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == api_json(live_server, params)


def test_table_renders(live_server):
    result = run(live_server, "--range", "30d")
    assert result.exit_code == 0, result.output
    assert "Markov: P(conversion)" in result.stdout and "Referral" in result.stdout and "Direct" in result.stdout


@pytest.mark.parametrize(("args", "field"), [(["--model", "w_shaped"], "model"),
                                             (["--lookback", "0"], "lookback_days")])
def test_bad_option_is_one_clear_line(live_server, args, field):
    result = run(live_server, *args)
    assert result.exit_code == 2
    assert f"error ({field})" in result.output
