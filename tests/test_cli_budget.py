"""`growthos budget --json` and `growthos acquisition --json` equal their API answers; bad limits are a clear error;
the acquisition table shows the budgets."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from growthos.cli import app as cli

runner = CliRunner()


def test_budget_json_equals_the_api(live_server):
    args = ["--data-dir", str(live_server.settings.data_dir), "budget", "--limit", "meta=0:1000000", "--json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    response = httpx.get(live_server.url + "/api/budget", params={"limit": "meta=0:1000000"},
                         headers=live_server.auth("read"), timeout=120)
    assert response.status_code == 200, response.text
    assert json.loads(result.stdout) == response.json()


def test_budget_table_and_bad_limit(live_server):
    base = ["--data-dir", str(live_server.settings.data_dir), "budget"]
    table = runner.invoke(cli, base)
    assert table.exit_code == 0, table.output
    assert "Daily budget" in table.output
    bad = runner.invoke(cli, [*base, "--limit", "meta=9:1"])
    assert bad.exit_code == 2
    assert "minimum exceeds maximum" in bad.output


def test_acquisition_json_equals_the_api(live_server):
    args = ["--data-dir", str(live_server.settings.data_dir), "acquisition", "--range", "30d", "--json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    response = httpx.get(live_server.url + "/api/aarrr/acquisition", params={"range": "30d"},
                         headers=live_server.auth("read"), timeout=60)
    assert json.loads(result.stdout) == response.json()
    table = runner.invoke(cli, args[:-1])
    assert table.exit_code == 0, table.output
    assert "Acquisition, 30d" in table.output
    assert "Budgets (30 days" in table.output  # the demo's monthly budgets, prorated
    body = json.loads(result.stdout)
    assert {r["channel"] for r in body["rows"] if r["budget"] is not None} == {"meta", "google_ads"}
    assert body["signups"]["total"] > 0
