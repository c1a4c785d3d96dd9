"""`growthos product ...` on the demo workspace: the --json output equals the answer of the API route it mirrors
(whose values tests/server/api/test_product_api.py checks by hand), the tables render, and bad options get
one clear line naming the option."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from growthos.cli import app as cli

RANGE = {"from": "2026-01-12", "to": "2026-02-08"}
runner = CliRunner()


def run(live_server, *args: str):
    return runner.invoke(cli, ["--data-dir", str(live_server.settings.data_dir), "product", *args])


def cli_json(live_server, *args: str) -> dict:
    result = run(live_server, *args, "--from", RANGE["from"], "--to", RANGE["to"], "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def api_json(live_server, route: str, params=None, body=None) -> dict:
    headers = live_server.auth("read")
    if body is not None:
        response = httpx.post(live_server.url + route, json={**body, **RANGE}, headers=headers, timeout=30)
    else:
        response = httpx.get(live_server.url + route, params=[*(params or []), *RANGE.items()], headers=headers,
                             timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_funnel_equals_the_api(live_server):
    body = {"steps": [{"event": "Signed Up"}, {"event": "Onboarding Step Completed", "where": {"step_name": "goals"}},
                      {"event": "Meal Plan Created", "within": "3d"}],
            "window": "14d", "exclusions": [{"event": "Subscription Cancelled", "after_step": 1, "before_step": 3}],
            "breakdown": "platform"}
    ours = cli_json(live_server, "funnel", "Signed Up", "Onboarding Step Completed", "Meal Plan Created",
                    "--window", "14d", "--where", "2:step_name=goals", "--within", "3=3d",
                    "--exclude", "Subscription Cancelled:1-3", "--breakdown", "platform")
    assert ours == api_json(live_server, "/api/product/funnel", body=body)
    assert ours["total"]["steps"][2]["people"] > 0


@pytest.mark.parametrize(("args", "route", "params"), [
    (["trends", "Signed Up", "Invite Sent", "--interval", "week", "--breakdown", "platform"], "/api/product/trends",
     [("events", "Signed Up"), ("events", "Invite Sent"), ("interval", "week"), ("breakdown", "platform")]),
    (["active"], "/api/product/active-users", []),
    (["retention", "Signed Up", "Application Opened", "--interval", "day", "--periods", "7"],
     "/api/product/retention", [("start_event", "Signed Up"), ("return_event", "Application Opened"),
                                ("interval", "day"), ("periods", "7")]),
    (["stickiness", "--interval", "month"], "/api/product/stickiness", [("interval", "month")]),
    (["features"], "/api/product/features", []),
    (["features", "Recipe Saved", "Pantry Scanned"], "/api/product/features",
     [("events", "Recipe Saved"), ("events", "Pantry Scanned")]),
])
def test_json_equals_the_api(live_server, args, route, params):
    assert cli_json(live_server, *args) == api_json(live_server, route, params)


def test_people(live_server):
    found = run(live_server, "users", "ava", "--json")
    assert found.exit_code == 0, found.output
    users = json.loads(found.stdout)["users"]
    assert users and all(u["email"].startswith("ava") or any(i.startswith("ava") for i in u["ids"]) for u in users)
    profile = run(live_server, "user", users[0]["ids"][0], "--json")
    assert json.loads(profile.stdout)["person_id"] == users[0]["person_id"]
    table = run(live_server, "user", users[0]["ids"][-1])
    assert table.exit_code == 0 and users[0]["person_id"] in table.stdout


@pytest.mark.parametrize("args", [
    ["funnel", "Signed Up", "Meal Plan Created"],
    ["trends", "Signed Up"],
    ["retention", "Signed Up", "Application Opened"],
    ["stickiness"],
    ["active"],
    ["features"],
    ["users", "a"],
])
def test_tables_render(live_server, args):
    result = run(live_server, *args, "--range", "30d") if args[0] != "users" else run(live_server, *args)
    assert result.exit_code == 0, result.output
    assert "┃" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["funnel", "Signed Up"], "2 to 20 steps"),
    (["funnel", "A", "B", "--within", "5=1h"], "within"),
    (["funnel", "A", "B", "--window", "7 days"], "window"),
    (["funnel", "A", "B", "--where", "2:nokey"], "where"),
    (["funnel", "A", "B", "--exclude", "C"], "exclude"),
    (["trends", "A", "--interval", "hour"], "interval"),
    (["retention", "A", "B", "--periods", "0"], "periods"),
    (["user", "nobody-at-all"], "no person"),
    (["trends", "A", "--from", "2026-02-01", "--to", "2026-01-01"], "after"),
])
def test_bad_options_get_one_clear_line(live_server, args, message):
    result = run(live_server, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
