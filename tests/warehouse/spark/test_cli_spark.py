"""`growthos build --engine spark` and `growthos kpis --engine spark` on a small demo shop: the build reports
every model, the KPIs on Spark equal the DuckDB build's, the dashboard's warehouse file then serves Spark's
marts, and `kpis --engine spark` before any Spark build says how to make one."""

from __future__ import annotations

import json

import pytest
from support.spark import TEST_SPARK_CONF, TEST_SPARK_MASTER
from typer.testing import CliRunner

from growthos.cli import app as cli
from growthos.config import load_settings
from growthos.pipeline import demo_settings, load_records
from growthos.sources.demo import generate
from growthos.warehouse.models import load_models
from growthos.workspace import Workspace

pytestmark = [pytest.mark.spark, pytest.mark.slow]
runner = CliRunner()


def test_build_and_kpis_on_spark(tmp_path, monkeypatch, spark_session):
    data_dir = tmp_path / "shop"
    settings = demo_settings(load_settings(data_dir=data_dir))
    with Workspace(settings) as ws:
        load_records(ws, generate(scale=0.05))
    monkeypatch.setenv("GROWTHOS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GROWTHOS_SPARK_MASTER", TEST_SPARK_MASTER)
    monkeypatch.setenv("GROWTHOS_SPARK_CONF", json.dumps(TEST_SPARK_CONF))

    missing = runner.invoke(cli, ["kpis", "--range", "30d", "--engine", "spark", "--json"])
    assert missing.exit_code == 2 and "growthos build --engine spark" in missing.output

    assert runner.invoke(cli, ["build", "--json"]).exit_code == 0
    on_duckdb = json.loads(runner.invoke(cli, ["kpis", "--range", "30d", "--json"]).output)

    built = runner.invoke(cli, ["build", "--engine", "spark", "--json"])
    assert built.exit_code == 0, built.output
    report = json.loads(built.output)
    assert set(report["rows"]) >= {m.name for m in load_models()}
    assert report["rows"]["fact_orders"] > 0 and set(report["checks"].values()) <= {"pass", "warn"}

    on_spark = runner.invoke(cli, ["kpis", "--range", "30d", "--engine", "spark", "--json"])
    assert on_spark.exit_code == 0, on_spark.output
    assert json.loads(on_spark.output) == on_duckdb
    served = json.loads(runner.invoke(cli, ["kpis", "--range", "30d", "--json"]).output)
    assert served == on_duckdb
    with Workspace(load_settings(data_dir=data_dir)) as ws:
        kind = ws.engine.query("SELECT table_type FROM information_schema.tables WHERE table_name = 'fact_orders'")
        assert kind.column(0).to_pylist() == ["VIEW"]  # the DuckDB file reads the Parquet marts Spark wrote

    unknown = runner.invoke(cli, ["build", "--engine", "oracle"])
    assert unknown.exit_code == 2 and "unknown engine 'oracle'" in unknown.output
