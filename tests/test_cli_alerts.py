"""`growthos alerts list|ack|resolve|rules|evaluate [--json]` on a throw-away data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from growthos.alerts.performance import PERFORMANCE_RULES
from growthos.cli import app as cli
from growthos.config import load_settings
from growthos.store import AppStore

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(data_dir: Path, *args: str):
    return runner.invoke(cli, ["--data-dir", str(data_dir), "alerts", *args])


def run_json(data_dir: Path, *args: str) -> dict:
    result = run(data_dir, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def plant_alert(data_dir: Path) -> int:
    with AppStore.from_settings(load_settings(data_dir=data_dir)) as store:
        firing = store.record_alert_firing(rule="mer_drop", kind="mer_drop", dedup_key="mer_drop", severity="critical",
                                           message="MER fell -30.0% to 2.10×", recommendation="Cut the worst ad sets",
                                           observed=2.1, baseline=3.0, values={}, cooldown_s=0)
    return firing.alert.id


def test_list_ack_resolve(data_dir: Path) -> None:
    assert run_json(data_dir, "list") == {"alerts": []}
    assert "No alerts." in run(data_dir, "list").stdout
    alert_id = plant_alert(data_dir)
    [alert] = run_json(data_dir, "list", "--status", "open")["alerts"]
    assert alert["id"] == alert_id and alert["recommendation"] == "Cut the worst ad sets"
    table = run(data_dir, "list").stdout
    assert "mer_drop" in table and "critical" in table
    assert run_json(data_dir, "ack", str(alert_id))["status"] == "acknowledged"
    assert "is resolved" in run(data_dir, "resolve", str(alert_id)).stdout
    assert run_json(data_dir, "list", "--status", "resolved")["alerts"][0]["resolved_by"] == "user"
    refused = run(data_dir, "ack", str(alert_id))
    assert refused.exit_code == 2 and "resolved" in refused.output
    missing = run(data_dir, "resolve", "4242")
    assert missing.exit_code == 2 and "alert_id" in missing.output
    bad = run(data_dir, "list", "--status", "closed")
    assert bad.exit_code == 2 and "status" in bad.output


def test_rules_defaults_and_yaml(data_dir: Path) -> None:
    rules = run_json(data_dir, "rules")["rules"]
    assert [r["name"] for r in rules] == ["net_revenue_drop", "mer_drop", "ncac_spike", "conversion_rate_drop",
                                          "spend_pacing", "refund_rate_spike", "data_freshness",
                                          *(r["name"] for r in PERFORMANCE_RULES)]
    assert {r["source"] for r in rules} == {"default"}
    assert "spend_pacing" in run(data_dir, "rules").stdout
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "alerts.yaml").write_text("rules:\n  - name: rev\n    kind: net_revenue_drop\n"
                                          "    params: {threshold: 1.5x}\n")
    result = run(data_dir, "rules")
    assert result.exit_code == 2
    assert "rules[0].params.threshold" in result.output and "line 4" in result.output
    (data_dir / "alerts.yaml").write_text("rules:\n  - name: rev\n    kind: net_revenue_drop\n")
    assert [r["name"] for r in run_json(data_dir, "rules")["rules"]] == ["rev"]


def test_evaluate_on_an_unbuilt_workspace(data_dir: Path) -> None:
    report = run_json(data_dir, "evaluate")
    assert {r["rule"]: r["status"] for r in report["rules"]} == dict.fromkeys(
        ["net_revenue_drop", "mer_drop", "ncac_spike", "conversion_rate_drop", "spend_pacing", "refund_rate_spike",
         "data_freshness", *(r["name"] for r in PERFORMANCE_RULES)], "skipped")
    assert report["new"] == [] and report["notifications"] == []
    table = run(data_dir, "evaluate")
    assert table.exit_code == 0 and "0 new" in table.stdout


def test_evaluate_fires_on_a_failed_build(data_dir: Path) -> None:
    with AppStore.from_settings(load_settings(data_dir=data_dir)) as store:
        store.finish_job(store.start_job("build"), "failed", error="Catalog Error: table x does not exist")
    report = run_json(data_dir, "evaluate")
    [alert] = report["new"]
    assert alert["rule"] == "data_freshness" and "Catalog Error" in alert["message"]
    assert run_json(data_dir, "evaluate")["updated"][0]["id"] == alert["id"]
