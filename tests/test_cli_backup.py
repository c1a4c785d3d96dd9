"""`growthos backup`, `growthos restore` and `growthos doctor` on the command line: exit codes, --json output, the
default archive name, refusals as one clear line (exit 2), and a damaged warehouse meeting a normal command."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.server import empty_server
from test_backup import small_workspace
from typer.testing import CliRunner

from growthos.cli import app as cli

runner = CliRunner()


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_workspace(tmp_path_factory.mktemp("cli-backup-ws") / "data").data_dir


@pytest.fixture
def data_dir(healthy: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(healthy, copy)
    return copy


def invoke(data_dir: Path, *args: str):
    return runner.invoke(cli, ["--data-dir", str(data_dir), *args])


def test_backup_writes_the_default_name_in_the_current_directory_and_warns_of_the_key(data_dir, tmp_path,
                                                                                      monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = invoke(data_dir, "backup")
    assert result.exit_code == 0, result.output
    [archive] = list(here.iterdir())
    assert re.fullmatch(r"growthos-backup-\d{8}T\d{6}Z\.tar\.gz", archive.name)
    assert archive.stat().st_mode & 0o777 == 0o600
    assert f"Backup written to {archive}" in result.stdout
    assert "contains the encryption key" in result.stdout


def test_backup_json_and_restore_json_round_trip(data_dir, tmp_path):
    dest = tmp_path / "b.tar.gz"
    result = invoke(data_dir, "backup", str(dest), "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["archive"] == str(dest) and body["bytes"] == dest.stat().st_size
    assert "encryption key" in body["warning"]
    assert {f["path"] for f in body["manifest"]["files"]} >= {"warehouse.duckdb", "app.db", "encryption.key"}

    target = tmp_path / "restored"
    restored = invoke(target, "restore", str(dest), "--json")
    assert restored.exit_code == 0, restored.output
    outcome = json.loads(restored.stdout)
    assert outcome["data_dir"] == str(target) and outcome["moved_aside"] is None
    assert outcome["files"] == len(body["manifest"]["files"])
    assert (target / "loops.yaml").read_bytes() == (data_dir / "loops.yaml").read_bytes()

    refused = invoke(target, "restore", str(dest))
    assert refused.exit_code == 2
    assert "error (data_dir):" in refused.stderr and "pass --force" in refused.stderr
    forced = invoke(target, "restore", str(dest), "--force")
    assert forced.exit_code == 0, forced.output
    [aside] = list(tmp_path.glob("restored.pre-restore-*"))
    assert f"kept at {aside}" in forced.stdout and "growthos doctor" in forced.stdout


def test_a_tampered_archive_is_refused_with_exit_code_2(data_dir, tmp_path):
    dest = tmp_path / "b.tar.gz"
    assert invoke(data_dir, "backup", str(dest)).exit_code == 0
    blob = bytearray(dest.read_bytes())
    blob[len(blob) // 3] ^= 0x40
    dest.write_bytes(bytes(blob))
    result = invoke(tmp_path / "target", "restore", str(dest))
    assert result.exit_code == 2 and "error (archive):" in result.stderr
    assert not (tmp_path / "target").exists()
    missing = invoke(tmp_path / "target", "restore", str(tmp_path / "nope.tar.gz"))
    assert missing.exit_code == 2 and "error (archive): there is no backup archive" in missing.stderr


def test_doctor_on_a_healthy_directory_exits_0(data_dir):
    result = invoke(data_dir, "doctor")
    assert result.exit_code == 0 and "no problem found" in result.stdout
    body = json.loads(invoke(data_dir, "doctor", "--json").stdout)
    assert body == {"data_dir": str(data_dir), "ok": True, "findings": []}


def test_doctor_reports_errors_with_exit_code_1_and_json(data_dir):
    os.truncate(data_dir / "warehouse.duckdb", 16 * 1024)
    (data_dir / "growthos.toml").write_text("as_of = \n")  # every other command refuses to start now
    result = invoke(data_dir, "doctor")
    assert result.exit_code == 1
    assert "error: " in result.stdout and "how to recover: " in result.stdout
    assert "2 error(s)" in result.stderr
    body = json.loads(invoke(data_dir, "doctor", "--json").stdout)
    assert body["ok"] is False
    by_file = {Path(f["file"]).name: f for f in body["findings"]}
    assert set(by_file) == {"warehouse.duckdb", "growthos.toml"}
    assert all(f["severity"] == "error" and f["recovery"] for f in by_file.values())
    assert "growthos restore FILE" in by_file["warehouse.duckdb"]["recovery"]


def test_doctor_exits_0_when_there_are_only_warnings(data_dir):
    (data_dir / "app.db").unlink()
    result = invoke(data_dir, "doctor", "--json")
    assert result.exit_code == 0
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["severity"] == "warning"


def test_a_normal_command_on_a_damaged_warehouse_gives_one_clear_line(data_dir):
    (data_dir / "warehouse.duckdb").write_bytes(b"garbage" * 4096)
    result = invoke(data_dir, "build")
    assert result.exit_code == 2
    assert "error (warehouse):" in result.stderr and "growthos doctor" in result.stderr
    assert "Traceback" not in result.output
    backup = invoke(data_dir, "backup", str(data_dir.parent / "b.tar.gz"))
    assert backup.exit_code == 2 and "growthos doctor" in backup.stderr
    assert not (data_dir.parent / "b.tar.gz").exists()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROWTHOS_")}
    return subprocess.run([sys.executable, "-c", "from growthos.cli import app; app()", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_doctor_while_a_server_holds_the_warehouse_warns_and_exits_0(tmp_path):
    data_dir = tmp_path / "served"
    with empty_server(data_dir):
        done = _cli("--data-dir", str(data_dir), "doctor", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [finding] = json.loads(done.stdout)["findings"]
    assert finding["severity"] == "warning" and "in use" in finding["problem"]
    assert "stop the server" in finding["recovery"]
