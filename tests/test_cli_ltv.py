"""`growthos ltv`: on the CDNOW sample as a CSV (the published parameters), on the demo shop (what /api/ltv
says), and its errors."""

from __future__ import annotations

import json

import httpx
import pytest
from analysis.ltv.cdnow import write_cdnow_csv
from typer.testing import CliRunner

from growthos.cli import app as cli

runner = CliRunner()

# Fader, Hardie & Lee (2005) and Fader & Hardie (2013) on the CDNOW sample, weeks; tolerances as in
# tests/analysis/ltv/test_ltv_cdnow.py (every estimate rounds to the published value).
PUBLISHED = {"r": (0.243, 0.001), "alpha": (4.414, 0.001), "a": (0.793, 0.001), "b": (2.426, 0.001),
             "p": (6.25, 0.01), "q": (3.74, 0.01), "gamma": (15.44, 0.01)}


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory):
    return write_cdnow_csv(tmp_path_factory.mktemp("cdnow") / "cdnow.csv")


def test_cdnow_csv_gives_the_published_parameters(cdnow_csv, tmp_path):
    result = runner.invoke(cli, ["--data-dir", str(tmp_path), "ltv", "--transactions", str(cdnow_csv),
                                 "--observation-end", "1997-09-30", "--time-unit", "week", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    fitted = {**body["bg_nbd"], **body["gamma_gamma"]}
    for name, (value, tolerance) in PUBLISHED.items():
        assert fitted[name] == pytest.approx(value, abs=tolerance), name
    assert len(body["customers"]) == 2357 and body["gamma_gamma"]["customers"] == 946
    assert set(body["customers"][0]) >= {"customer_id", "expected_purchases", "p_alive", "expected_value", "clv"}
    table = runner.invoke(cli, ["--data-dir", str(tmp_path), "ltv", "--transactions", str(cdnow_csv),
                                "--observation-end", "1997-09-30"])
    assert table.exit_code == 0 and "r=0.2426" in table.stdout and "p=6.2496" in table.stdout


def test_bad_input_is_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,date,amount\nc1,2024-01-01,-3\n")
    result = runner.invoke(cli, ["--data-dir", str(tmp_path), "ltv", "--transactions", str(bad)])
    assert result.exit_code == 2 and "(amount)" in result.output and "line 2" in result.output
    good = tmp_path / "good.csv"
    good.write_text("customer_id,date,amount\nc1,2024-01-01,3\nc1,2024-01-05,3\n")
    early = runner.invoke(cli, ["--data-dir", str(tmp_path), "ltv", "--transactions", str(good),
                                "--observation-end", "2023-12-01"])
    assert early.exit_code == 2 and "observation_end" in early.output
    unit = runner.invoke(cli, ["--data-dir", str(tmp_path), "ltv", "--transactions", str(good), "--time-unit", "m"])
    assert unit.exit_code == 2 and "time_unit" in unit.output


def test_unbuilt_workspace(tmp_path):
    result = runner.invoke(cli, ["--data-dir", str(tmp_path / "empty"), "ltv", "--json"])
    assert result.exit_code == 2 and "not been built" in result.output


def test_shop_cli_and_api_agree(live_server):
    result = runner.invoke(cli, ["--data-dir", str(live_server.settings.data_dir), "ltv", "--json"])
    assert result.exit_code == 0, result.output
    ours = json.loads(result.stdout)
    api = httpx.get(live_server.url + "/api/ltv", headers=live_server.auth("read"), timeout=60).json()
    assert ours["bg_nbd"] == api["bg_nbd"] and ours["gamma_gamma"] == api["gamma_gamma"]
    assert ours["customers"][:len(api["customers"])] == api["customers"]
    assert len(ours["customers"]) == api["summary"]["customers"]
