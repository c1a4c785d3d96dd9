"""`growthos loops list|show|metrics|bottlenecks|actions [--json]` on a throw-away workspace holding the hand-built
invite loop of tests/analysis/loops/invite_fixture.py (its docstring has the arithmetic behind every number)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from analysis.loops.invite_fixture import EVENTS, LOOP
from fixtures.events import track, write
from typer.testing import CliRunner

from growthos.cli import app as cli
from growthos.config import load_settings, write_workspace_file
from growthos.store import loops as ledger
from growthos.workspace import Workspace

runner = CliRunner()
RANGE = ("--from", "2024-05-06", "--to", "2024-05-12")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-loops")
    write_workspace_file(path, {"as_of": date(2024, 5, 14), "timezone": "America/New_York"})
    definition = LOOP.to_dict(mask_urls=False)
    (path / "loops.yaml").write_text(yaml.safe_dump({"loops": [definition]}, sort_keys=False))
    with Workspace(load_settings(data_dir=path)) as ws:
        write(ws.engine, [track(name, at, user=person, props=props) for person, name, at, props in EVENTS])
    return path


def run(data_dir: Path, *args: str):
    return runner.invoke(cli, ["--data-dir", str(data_dir), "loops", *args])


def run_json(data_dir: Path, *args: str) -> dict:
    result = run(data_dir, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_metrics(data_dir: Path) -> None:
    m = run_json(data_dir, "metrics", "invite", *RANGE)
    assert (m["starts"], m["in_progress"], m["completions"], m["completion_rate"]) == (5, 1, 2, 0.5)
    assert [s["conversion"] for s in m["steps"]][1:3] == [0.75, 1.0]
    assert m["k_factor"] == pytest.approx(0.625) and m["efficiency"] == pytest.approx(79.4)
    assert m["median_cycle_time_s"] == pytest.approx(183_600)
    text = run(data_dir, "metrics", "invite", *RANGE).stdout
    assert "5 started, 2 completed (50.0%)" in text and "K = 0.833 invites per user × 75.0% conversion = 0.625" in text


def test_list_show_and_bottlenecks(data_dir: Path) -> None:
    listing = run_json(data_dir, "list", *RANGE)
    (item,) = listing["loops"]
    assert item["summary"]["completions"] == 2 and [b["step"] for b in item["bottlenecks"]] == ["meal_plan"]
    assert "Bottlenecks of invite: meal_plan (66.7%)" in run(data_dir, "list", *RANGE).stdout
    shown = run_json(data_dir, "show", "invite")
    assert [s["name"] for s in shown["steps"]] == ["invite_sent", "invite_accepted", "signed_up", "meal_plan"]
    assert "match invite_id" in run(data_dir, "show", "invite").stdout
    b = run_json(data_dir, "bottlenecks", "invite", *RANGE)
    assert [(x["step"], x["extra_completions"]) for x in b["bottlenecks"]] == [("meal_plan", 0.1)]
    assert "+0.1 completed cycles" in run(data_dir, "bottlenecks", "invite", *RANGE).stdout


def test_actions_and_errors(data_dir: Path) -> None:
    assert run_json(data_dir, "actions")["actions"] == []
    assert "No system actions." in run(data_dir, "actions").stdout
    with Workspace(load_settings(data_dir=data_dir)) as ws:
        ledger.plan_action(ws.store.engine, datetime(2024, 5, 6, tzinfo=UTC), action_key="invite:s:a", loop="invite",
                           step="invite_accepted", trigger="t", person_id="a", url="http://127.0.0.1:9/x",
                           headers={}, payload={}, due_at=datetime(2024, 5, 7, tzinfo=UTC))
    (action,) = run_json(data_dir, "actions", "--loop", "invite")["actions"]
    assert (action["person_id"], action["status"]) == ("a", "pending")
    missing = run(data_dir, "metrics", "nope")
    assert missing.exit_code == 2 and "(name)" in missing.output
    bad = run(data_dir, "metrics", "invite", "--from", "2024-05-06")
    assert bad.exit_code == 2 and "(to)" in bad.output
