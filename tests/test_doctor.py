"""`growthos doctor` (growthos.doctor.diagnose): every kind of damage to a data directory's files is reported with
its severity and the way to recover, a healthy directory reports nothing, and the normal entry points give the
same clear error on a damaged warehouse instead of a traceback. What the findings claim about the journal is
checked against the journal itself (Journal.open)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_backup import small_workspace, workspace_settings

from growthos.config import Settings, load_settings
from growthos.core.errors import ConfigError, WarehouseError
from growthos.doctor import ERROR, WARNING, Finding, diagnose, doctor_settings, has_errors
from growthos.security.crypto import EncryptionKey
from growthos.sources.collector.journal import Journal, JournalCorrupt, frame

KB = 1024


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_workspace(tmp_path_factory.mktemp("doctor-ws") / "data").data_dir


@pytest.fixture
def data_dir(healthy: Path, tmp_path: Path) -> Path:
    """A fresh copy of the healthy workspace to damage."""
    copy = tmp_path / "data"
    shutil.copytree(healthy, copy)
    return copy


def only(findings: list[Finding], name: str) -> Finding:
    """The one finding about the file ``name`` (and no finding about any other file)."""
    assert len(findings) == 1, findings
    assert Path(findings[0].file).name == name, findings
    return findings[0]


def flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_a_healthy_data_directory_reports_nothing(healthy):
    assert diagnose(workspace_settings(healthy)) == []
    assert not has_errors([])


def test_a_missing_data_directory_is_a_warning(tmp_path):
    [finding] = diagnose(workspace_settings(tmp_path / "nowhere"))
    assert finding.severity == WARNING and "does not exist" in finding.problem


# -- warehouse -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [16 * KB, 1024 * KB])
def test_a_truncated_warehouse_is_an_error_with_restore_and_rebuild_recipes(data_dir, keep):
    warehouse = data_dir / "warehouse.duckdb"
    os.truncate(warehouse, keep)
    finding = only(diagnose(workspace_settings(data_dir)), "warehouse.duckdb")
    assert finding.severity == ERROR and "damaged" in finding.problem
    assert "Could not read enough bytes" in finding.problem
    assert "growthos restore FILE" in finding.recovery
    assert f"mv {warehouse} {warehouse}.damaged" in finding.recovery
    assert "growthos sync --full" in finding.recovery and "growthos build" in finding.recovery
    # This journal starts at position 0: a new warehouse loads it again, so the recipe says to keep it.
    assert "starts at position 0" in finding.recovery and "collected events" in finding.recovery


def test_a_file_that_is_not_duckdb_is_an_error(data_dir):
    (data_dir / "warehouse.duckdb").write_bytes(b"not a database " * 1000)
    finding = only(diagnose(workspace_settings(data_dir)), "warehouse.duckdb")
    assert finding.severity == ERROR and "not a valid DuckDB database file" in finding.problem


def test_opening_a_damaged_warehouse_through_the_workspace_gives_the_clear_error(data_dir):
    from growthos.workspace import Workspace

    warehouse = data_dir / "warehouse.duckdb"
    os.truncate(warehouse, 1024 * KB)  # opens; reading a lost block fails
    with Workspace(workspace_settings(data_dir)) as ws, pytest.raises(WarehouseError) as info:
        ws.engine.query("SELECT * FROM fact_orders")
    message = info.value.message
    assert str(warehouse) in message and "damaged" in message and "growthos doctor" in message
    assert "growthos restore FILE" in message and info.value.field == "warehouse"

    warehouse.write_bytes(b"garbage" * 4096)  # refused when connecting
    with Workspace(workspace_settings(data_dir)) as ws, pytest.raises(WarehouseError) as info:
        ws.engine  # noqa: B018
    assert str(warehouse) in info.value.message and "growthos doctor" in info.value.message


# -- app database ----------------------------------------------------------------------------------------------


def test_a_garbage_app_db_fails_the_integrity_check(data_dir):
    (data_dir / "app.db").write_bytes(b"\x00garbage" * 4096)
    finding = only(diagnose(workspace_settings(data_dir)), "app.db")
    assert finding.severity == ERROR and "integrity check" in finding.problem
    assert "growthos restore FILE" in finding.recovery and ".recover" in finding.recovery
    assert "API keys, connections and their secrets" in finding.recovery  # what starting empty loses


def test_a_missing_app_db_beside_a_warehouse_is_a_warning(data_dir):
    (data_dir / "app.db").unlink()
    finding = only(diagnose(workspace_settings(data_dir)), "app.db")
    assert finding.severity == WARNING and "growthos keys create" in finding.recovery


# -- encryption key --------------------------------------------------------------------------------------------


def test_a_key_file_of_the_wrong_length_is_an_error(data_dir):
    key = data_dir / "encryption.key"
    key.write_text("c2hvcnQ=\n")  # base64 of 5 bytes
    key.chmod(0o600)
    finding = only(diagnose(workspace_settings(data_dir)), "encryption.key")
    assert finding.severity == ERROR and "not a valid encryption key" in finding.problem
    assert "32 random bytes" in finding.problem
    assert "growthos restore FILE" in finding.recovery and "growthos connections update" in finding.recovery


def test_a_key_file_readable_by_others_is_an_error_with_the_chmod(data_dir):
    key = data_dir / "encryption.key"
    key.chmod(0o644)
    finding = only(diagnose(workspace_settings(data_dir)), "encryption.key")
    assert finding.severity == ERROR and "mode 0644" in finding.problem
    assert f"chmod 600 {key}" in finding.recovery


def test_a_missing_key_file_with_stored_secrets_is_an_error(data_dir):
    (data_dir / "encryption.key").unlink()
    finding = only(diagnose(workspace_settings(data_dir)), "encryption.key")
    assert finding.severity == ERROR and "cannot be decrypted" in finding.problem
    assert "shop" in finding.recovery  # the connection whose secrets need entering again


def test_a_replaced_key_is_an_error_naming_the_connections(data_dir):
    key = data_dir / "encryption.key"
    key.write_text(EncryptionKey.generate().encode() + "\n")
    key.chmod(0o600)
    finding = only(diagnose(workspace_settings(data_dir)), "encryption.key")
    assert finding.severity == ERROR and "the key was replaced" in finding.problem and "shop" in finding.problem


def test_a_key_left_by_an_interrupted_rotation_is_a_warning(data_dir):
    old = EncryptionKey.generate()
    path = data_dir / f"encryption.key.{old.key_id}.old"
    path.write_text(old.encode() + "\n")
    path.chmod(0o600)
    finding = only(diagnose(workspace_settings(data_dir)), path.name)
    assert finding.severity == WARNING and "growthos keys rotate-encryption" in finding.recovery


# -- configuration files ---------------------------------------------------------------------------------------


def test_a_broken_growthos_toml_is_reported_and_the_doctor_still_runs(data_dir):
    (data_dir / "growthos.toml").write_text('timezone = "America/New_York\n')
    with pytest.raises(ConfigError):
        load_settings(data_dir=data_dir)  # what every other command meets
    settings = doctor_settings(data_dir)
    finding = only(diagnose(settings), "growthos.toml")
    assert finding.severity == ERROR and "not valid TOML" in finding.problem and "line 1" in finding.problem
    assert "growthos.toml" in finding.recovery


def test_an_invalid_setting_in_growthos_toml_is_reported(data_dir):
    (data_dir / "growthos.toml").write_text('timezone = "Mars/Olympus_Mons"\n')
    finding = only(diagnose(doctor_settings(data_dir)), "growthos.toml")
    assert finding.severity == ERROR and "'timezone'" in finding.problem and "Mars/Olympus_Mons" in finding.problem


def test_broken_yaml_files_are_reported_with_their_line(data_dir):
    (data_dir / "loops.yaml").write_text("loops:\n  - name: invite\n    steps: [\n")
    (data_dir / "alerts.yaml").write_text("rules:\n  - name: x\n    kind: no_such_kind\n")
    findings = sorted(diagnose(workspace_settings(data_dir)), key=lambda f: f.file)
    assert [Path(f.file).name for f in findings] == ["alerts.yaml", "loops.yaml"]
    alerts, loops = findings
    assert loops.severity == ERROR and "not valid YAML" in loops.problem and "line" in loops.problem
    assert alerts.severity == ERROR and "line 3" in alerts.problem
    assert all("editor" in f.recovery and "growthos --data-dir SCRATCH restore FILE" in f.recovery for f in findings)


# -- collector journal -----------------------------------------------------------------------------------------


def payload(n: int, size: int = 3000) -> bytes:
    return (f"frame-{n}-".encode() * size)[:size]


def journal_dir(tmp_path: Path, frames: int = 3, **sizes) -> tuple[Settings, Path, list[int]]:
    """A data directory holding only a collector journal of ``frames`` frames (no warehouse: nothing loaded)."""
    data = tmp_path / "journal-data"
    journal = Journal(data / "collector-journal", segment_bytes=sizes.get("segment_bytes", 64 * KB),
                      first_segment_bytes=sizes.get("first_segment_bytes", 64 * KB))
    journal.open(0)
    ends = [journal.append([frame(payload(n))])[0] for n in range(frames)]
    journal.close()
    return workspace_settings(data), data / "collector-journal", ends


def reopened_end(directory: Path) -> int:
    journal = Journal(directory)
    journal.open(0)
    try:
        return journal.end
    finally:
        journal.close()


def test_an_intact_journal_without_a_warehouse_reports_nothing(tmp_path):
    settings, _, _ = journal_dir(tmp_path)
    assert diagnose(settings) == []


def test_a_torn_tail_is_a_warning_and_the_journal_cuts_it_off(tmp_path):
    settings, directory, ends = journal_dir(tmp_path)
    [segment] = sorted(directory.glob("*.seg"))
    torn = frame(payload(99))[: 1000]  # a write cut short: header and a third of the payload
    with open(segment, "r+b") as f:
        f.seek(ends[-1])
        f.write(torn)
    finding = only(diagnose(settings), segment.name)
    assert finding.severity == WARNING and "torn record" in finding.problem and f"byte {ends[-1]}" in finding.problem
    assert "never acknowledged" in finding.problem and "nothing to do" in finding.recovery
    assert reopened_end(directory) == ends[-1]  # as said: cut off, every acknowledged frame kept
    assert diagnose(settings) == []


def test_a_flipped_byte_before_acknowledged_records_is_an_error(tmp_path):
    settings, directory, ends = journal_dir(tmp_path)
    [segment] = sorted(directory.glob("*.seg"))
    flip(segment, ends[0] + 100)  # inside the second frame; the third follows intact
    finding = only(diagnose(settings), segment.name)
    assert finding.severity == ERROR and "damaged record" in finding.problem and f"byte {ends[0]}" in finding.problem
    assert "before starting the server" in finding.recovery and "growthos restore FILE" in finding.recovery
    # As said: on opening, the journal would end there and drop the acknowledged frame after it.
    assert reopened_end(directory) == ends[0]


def test_a_flipped_byte_in_the_last_whole_record_is_an_error_not_a_torn_tail(tmp_path):
    settings, directory, ends = journal_dir(tmp_path)
    [segment] = sorted(directory.glob("*.seg"))
    flip(segment, ends[-1] - 1)  # the last byte of the last frame: the write was whole
    finding = only(diagnose(settings), segment.name)
    assert finding.severity == ERROR and "damaged record" in finding.problem


def test_damage_in_a_full_segment_is_an_error_and_the_journal_refuses_to_open(tmp_path):
    settings, directory, ends = journal_dir(tmp_path, frames=8, segment_bytes=8 * KB, first_segment_bytes=8 * KB)
    segments = sorted(directory.glob("*.seg"))
    assert len(segments) > 2
    flip(segments[1], 50)
    finding = only(diagnose(settings), segments[1].name)
    assert finding.severity == ERROR and "full segment" in finding.problem and "refuses to start" in finding.problem
    assert f"mv {directory} {directory}.damaged" in finding.recovery
    with pytest.raises(JournalCorrupt):
        reopened_end(directory)


def test_damage_in_records_already_loaded_is_not_reported(data_dir):
    [segment] = sorted((data_dir / "collector-journal").glob("*.seg"))
    flip(segment, 20)  # the first frame, loaded into the warehouse long ago (the journal never reads it again)
    assert diagnose(workspace_settings(data_dir)) == []


def test_a_journal_that_a_new_warehouse_cannot_resume_is_an_error(tmp_path):
    settings, directory, ends = journal_dir(tmp_path)
    [segment] = sorted(directory.glob("*.seg"))
    segment.rename(directory / f"{4096:020d}.seg")  # the journal now starts at 4096; nothing is loaded
    finding = only(diagnose(settings), "collector-journal")
    assert finding.severity == ERROR and "starts at position 4096" in finding.problem
    assert f"mv {directory} {directory}.damaged" in finding.recovery
    with pytest.raises(JournalCorrupt):
        reopened_end(directory)
