"""`growthos forecast` and `growthos anomalies --json` equal the API."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from growthos.cli import app as cli

runner = CliRunner()


def cli_json(live_server, *args: str) -> dict:
    result = runner.invoke(cli, ["--data-dir", str(live_server.settings.data_dir), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def api_json(live_server, route: str, params: dict) -> dict:
    response = httpx.get(live_server.url + route, params=params, headers=live_server.auth("read"), timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_forecast_json_equals_the_api(live_server):
    ours = cli_json(live_server, "forecast", "net_revenue", "--horizon", "7")
    assert ours == api_json(live_server, "/api/forecast", {"metric": "net_revenue", "horizon": 7})


def test_anomalies_json_equals_the_api(live_server):
    ours = cli_json(live_server, "anomalies", "--metric", "orders", "--metric", "sessions", "--range", "90d")
    assert ours == api_json(live_server, "/api/anomalies", {"metric": "orders,sessions", "range": "90d"})
    assert any(a["metric"] == "sessions" for a in ours["anomalies"])


def test_unknown_metric_is_a_clear_error(live_server):
    result = runner.invoke(cli, ["--data-dir", str(live_server.settings.data_dir), "forecast", "nope"])
    assert result.exit_code == 2
