"""`growthos doctor` with the app database on PostgreSQL (the real server the test harness starts): it answers
and its migrations are current, or each problem is reported with its recovery; nothing is changed (the session
is read-only), and stored connection secrets are checked against the key as with SQLite."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import duckdb
import pytest
from alembic import command
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from growthos.cli import app as cli
from growthos.config import Settings, load_settings, write_workspace_file
from growthos.doctor import ERROR, WARNING, diagnose
from growthos.store import AppStore
from growthos.store.migrate import alembic_config, current_revision, head_revision, known_revisions

pytestmark = pytest.mark.postgres


def settings_for(data_dir: Path, url: str) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    return load_settings(data_dir=data_dir, app_db_url=url, engine="duckdb")


def with_warehouse(data_dir: Path) -> None:
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    con.execute("CREATE TABLE raw_records (id INTEGER)")
    con.close()


def test_a_migrated_reachable_database_gives_no_finding(tmp_path, fresh_postgres_url):
    settings = settings_for(tmp_path / "data", fresh_postgres_url)
    AppStore.from_settings(settings).close()
    with_warehouse(settings.data_dir)
    assert diagnose(settings) == []


def test_an_unreachable_server_is_an_error_naming_the_url_without_its_password(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    url = f"postgresql+psycopg://growthos:s3cret-pw@127.0.0.1:{port}/growthos"
    findings = diagnose(settings_for(tmp_path / "data", url))
    [finding] = findings
    assert finding.severity == ERROR
    assert finding.file == f"postgresql+psycopg://growthos:***@127.0.0.1:{port}/growthos"
    assert "cannot be reached" in finding.problem and str(port) in finding.problem
    assert "pg_isready" in finding.recovery and "app_db_url" in finding.recovery
    assert "s3cret-pw" not in json.dumps([f.to_dict() for f in findings])


def test_a_never_migrated_database_beside_a_warehouse_is_a_warning(tmp_path, fresh_postgres_url):
    settings = settings_for(tmp_path / "data", fresh_postgres_url)
    assert diagnose(settings) == []  # a new workspace: it is migrated on first use
    with_warehouse(settings.data_dir)
    [finding] = diagnose(settings)
    assert finding.severity == WARNING and "never migrated" in finding.problem
    assert "pg_restore" in finding.recovery and "app_db_url" in finding.recovery
    assert current_revision(fresh_postgres_url) is None  # the doctor created nothing


def test_migrations_behind_are_a_warning_until_the_next_start_migrates_them(tmp_path, fresh_postgres_url):
    older = known_revisions()[-2]
    engine = create_engine(fresh_postgres_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), older)
    engine.dispose()
    settings = settings_for(tmp_path / "data", fresh_postgres_url)
    [finding] = diagnose(settings)
    assert finding.severity == WARNING and "not current" in finding.problem
    assert older in finding.problem and head_revision() in finding.problem
    assert "pg_dump" in finding.recovery and "growthos serve" in finding.recovery
    assert current_revision(fresh_postgres_url) == older  # read-only: still there
    AppStore.from_settings(settings).close()  # what the next start does
    assert diagnose(settings) == []


def test_a_revision_from_a_newer_growthos_is_an_error(tmp_path, fresh_postgres_url):
    settings = settings_for(tmp_path / "data", fresh_postgres_url)
    AppStore.from_settings(settings).close()
    engine = create_engine(fresh_postgres_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    [finding] = diagnose(settings)
    assert finding.severity == ERROR and "9999_from_the_future" in finding.problem
    assert "newer GrowthOS" in finding.problem and head_revision() in finding.problem


def test_secrets_stored_in_postgres_are_checked_against_the_key_file(tmp_path, fresh_postgres_url):
    settings = settings_for(tmp_path / "data", fresh_postgres_url)
    with AppStore.from_settings(settings) as store:
        store.create_connection("shop", "shopify", {"shop_domain": "forkful.myshopify.com",
                                                    "access_token": "shpat_0123456789abcdef0123456789abcdef"})
    assert diagnose(settings) == []
    (settings.data_dir / "encryption.key").unlink()
    [finding] = diagnose(settings)
    assert finding.severity == ERROR and Path(finding.file).name == "encryption.key"
    assert "secrets are stored" in finding.problem


def test_the_cli_doctor_reads_the_url_from_growthos_toml_and_exits_1_on_an_error(tmp_path, fresh_postgres_url):
    data_dir = tmp_path / "data"
    write_workspace_file(data_dir, {"app_db_url": fresh_postgres_url})
    with_warehouse(data_dir)
    engine = create_engine(fresh_postgres_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "doctor", "--json"])
    assert result.exit_code == 1, result.output
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["severity"] == "error" and "9999_from_the_future" in finding["problem"]
