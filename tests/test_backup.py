"""`growthos backup` / `restore` of a data directory (growthos.backup): a round trip on a small built workspace
gives back the same tables, app database rows, key and journal bytes; damaged, tampered or unsafe archives are
refused before anything is touched; a non-empty target needs force and is then kept aside; a warehouse held by
a running server makes both refuse."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from fixtures.events import ny, track
from fixtures.shopify import customer, meta_row, order
from pydantic import SecretStr
from support.server import empty_server

from growthos.backup import MANIFEST, create_backup, restore_backup, verify_backup
from growthos.config import Settings, load_settings, write_workspace_file
from growthos.core.errors import Conflict, InvalidInput, NotFound

TOKEN = "shpat_" + "0123456789abcdef" * 2


def workspace_settings(data_dir: Path) -> Settings:
    """Explicit settings of a data directory (no environment leaks in)."""
    return load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb",
                         scheduler_enabled=False)


def small_workspace(data_dir: Path) -> Settings:
    """A small built workspace with a file of each kind: growthos.toml, loops.yaml, a warehouse with raw records,
    collected events and built marts, an app database with an API key and a connection (so a key file), and
    the collector journal that stored the events."""
    from growthos.analysis.loops.demo import write_demo_loops
    from growthos.pipeline import build_and_check, load_records
    from growthos.sources.collector import EventWriter
    from growthos.workspace import Workspace

    write_workspace_file(data_dir, {"as_of": date(2026, 2, 10), "timezone": "America/New_York", "currency": "USD"})
    write_demo_loops(data_dir)
    settings = workspace_settings(data_dir)
    with Workspace(settings) as ws:
        load_records(ws, [customer(1, "2026-02-01T14:00:00Z"), customer(2, "2026-02-03T10:00:00Z"),
                          order(1, "2026-02-01T15:00:00Z", 1, [("Meal Kits", 1, "50.00", "0")]),
                          order(2, "2026-02-03T11:00:00Z", 2, [("Pantry", 2, "12.50", "0")]),
                          meta_row("ad1", "2026-02-01", "10.00", 100, 4)])
        ws.store.create_api_key("backup test", "admin")
        ws.store.create_connection("shop", "shopify", {"shop_domain": "forkful.myshopify.com", "access_token": TOKEN})
        with EventWriter(ws.engine, journal_dir=data_dir / "collector-journal") as writer:
            writer.submit([track("Signed Up", ny(5, 1), user="u1"), track("Recipe Viewed", ny(5, 2), user="u1"),
                           track("Recipe Viewed", ny(5, 2, 13), anon="a9")])
        build_and_check(ws)
    return settings


def warehouse_tables(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted (read-only)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        con.close()


def app_rows(path: Path, table: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    finally:
        con.close()


def tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return small_workspace(tmp_path_factory.mktemp("backup-ws") / "data")


@pytest.fixture(scope="module")
def archive(workspace: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("backup-archive") / "ws.tar.gz"
    create_backup(workspace, dest)
    return dest


def test_a_round_trip_gives_back_every_table_row_key_and_journal_byte(workspace, archive, tmp_path):
    source = workspace.data_dir
    target = tmp_path / "restored"
    result = restore_backup(workspace_settings(target), archive)
    assert result.moved_aside is None and result.data_dir == target.absolute()

    tables = warehouse_tables(target / "warehouse.duckdb")
    assert tables == warehouse_tables(source / "warehouse.duckdb")
    assert len(tables["fact_orders"]) == 2 and len(tables["events"]) == 3  # marts and collected events came back
    for table in ("api_keys", "connections", "job_runs"):
        assert app_rows(target / "app.db", table) == app_rows(source / "app.db", table), table
    assert len(app_rows(target / "app.db", "connections")) == 1
    for name in ("encryption.key", "growthos.toml", "loops.yaml"):
        assert (target / name).read_bytes() == (source / name).read_bytes(), name
    segments = sorted((source / "collector-journal").glob("*.seg"))
    assert segments and tree(target / "collector-journal") == tree(source / "collector-journal")
    assert (target / "encryption.key").stat().st_mode & 0o777 == 0o600

    # The restored workspace works: its connection's secret decrypts with the restored key.
    from growthos.workspace import Workspace

    with Workspace(workspace_settings(target)) as ws:
        assert ws.store.connection_config("shop").secrets["access_token"] == TOKEN


def test_the_archive_is_private_and_its_manifest_lists_every_file_with_its_checksum(workspace, archive):
    assert archive.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]  # no temporary file left beside it
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.load(tar.extractfile(MANIFEST))
        contents = {m.name: hashlib.sha256(tar.extractfile(m).read()).hexdigest()
                    for m in tar.getmembers() if m.name != MANIFEST}
    assert manifest["format_version"] == 1 and manifest["growthos_version"] and manifest["created_at"]
    assert manifest["app_db"] == {"kind": "sqlite", "included": True, "path": "app.db"}
    assert manifest["encryption_key"]["included"] is True
    listed = {f["path"]: f for f in manifest["files"]}
    assert {"warehouse.duckdb", "app.db", "encryption.key", "growthos.toml", "loops.yaml"} <= set(listed)
    assert any(p.startswith("collector-journal/") and p.endswith(".seg") for p in listed)
    assert {f"data/{p}": f["sha256"] for p, f in listed.items()} == contents
    on_disk = (workspace.data_dir / "encryption.key").read_bytes()
    assert listed["encryption.key"]["sha256"] == hashlib.sha256(on_disk).hexdigest()
    assert listed["encryption.key"]["size"] == len(on_disk)
    assert verify_backup(archive) == manifest


def _rewrite(archive: Path, dest: Path, change) -> Path:
    """A copy of ``archive`` whose members pass through ``change(info, data) -> (info, data) | None``."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(dest, "w:gz") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            changed = change(member, data)
            if changed is not None:
                info, data = changed
                out.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return dest


def test_a_byte_changed_in_the_archive_is_refused_and_nothing_is_touched(workspace, archive, tmp_path):
    blob = bytearray(archive.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(bytes(blob))
    target = tmp_path / "target"
    with pytest.raises(InvalidInput) as info:
        restore_backup(workspace_settings(target), damaged)
    assert info.value.field == "archive" and "damaged" in info.value.message
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.tar.gz"]  # no staging directory left

    # Even with force, an existing data directory is left exactly as it was.
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "growthos.toml").write_text('currency = "USD"\n')
    before = tree(existing)
    with pytest.raises(InvalidInput):
        restore_backup(workspace_settings(existing), damaged, force=True)
    assert tree(existing) == before
    assert not list(tmp_path.glob("existing.pre-restore-*"))


def test_a_member_altered_inside_a_valid_gzip_is_refused_by_its_checksum(workspace, archive, tmp_path):
    def alter(info, data):
        if info.name == "data/loops.yaml":
            data = data.replace(b"invite", b"inVite", 1)
        return info, data

    tampered = _rewrite(archive, tmp_path / "tampered.tar.gz", alter)
    with pytest.raises(InvalidInput, match="data/loops.yaml.*does not match its checksum") as info:
        restore_backup(workspace_settings(tmp_path / "target"), tampered)
    assert info.value.field == "archive"
    assert not (tmp_path / "target").exists()


def test_a_member_missing_from_the_archive_is_refused(archive, tmp_path):
    thinned = _rewrite(archive, tmp_path / "thin.tar.gz",
                       lambda info, data: None if info.name == "data/encryption.key" else (info, data))
    with pytest.raises(InvalidInput, match="missing: encryption.key"):
        verify_backup(thinned)


@pytest.mark.parametrize("name, kind", [
    ("../evil", tarfile.REGTYPE),
    ("data/../../evil", tarfile.REGTYPE),
    ("/tmp/evil", tarfile.REGTYPE),
    ("data/evil-link", tarfile.SYMTYPE),
    ("data/evil-hardlink", tarfile.LNKTYPE),
    ("data/evil-device", tarfile.CHRTYPE),
])
def test_unsafe_members_are_refused_before_anything_is_written(archive, tmp_path, name, kind):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "r:gz") as src:
        members = [(m, src.extractfile(m).read()) for m in src.getmembers()]
    with tarfile.open(evil, "w:gz") as out:
        bad = tarfile.TarInfo(name)
        bad.type = kind
        if kind == tarfile.REGTYPE:
            bad.size = 4
            out.addfile(bad, io.BytesIO(b"evil"))
        else:
            bad.linkname = "/etc/passwd"
            out.addfile(bad)
        for member, data in members:
            out.addfile(member, io.BytesIO(data))
    target = tmp_path / "work" / "target"
    with pytest.raises(InvalidInput, match="unsafe|a link|a device") as info:
        restore_backup(workspace_settings(target), evil)
    assert info.value.field == "archive"
    assert not (tmp_path / "work").exists() and not (tmp_path / "evil").exists()


def test_a_data_directory_that_is_not_empty_is_refused_without_force(archive, tmp_path):
    target = tmp_path / "data"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(Conflict, match="not empty; pass --force") as info:
        restore_backup(workspace_settings(target), archive)
    assert info.value.field == "data_dir"
    assert tree(target) == {"notes.txt": b"mine"}


def test_an_empty_data_directory_is_restored_into_without_force(workspace, archive, tmp_path):
    target = tmp_path / "data"
    target.mkdir()
    result = restore_backup(workspace_settings(target), archive)
    assert result.moved_aside is None
    assert (target / "loops.yaml").read_bytes() == (workspace.data_dir / "loops.yaml").read_bytes()


def test_force_keeps_the_previous_data_directory_aside(workspace, archive, tmp_path):
    target = tmp_path / "data"
    target.mkdir()
    (target / "growthos.toml").write_text('currency = "CAD"\n')
    (target / "collector-journal").mkdir()
    (target / "collector-journal" / "00000000000000000000.seg").write_bytes(b"old journal")
    before = tree(target)
    result = restore_backup(workspace_settings(target), archive, force=True)
    assert result.moved_aside is not None and result.moved_aside.name.startswith("data.pre-restore-")
    assert tree(result.moved_aside) == before  # nothing deleted, nothing changed
    assert (target / "growthos.toml").read_bytes() == (workspace.data_dir / "growthos.toml").read_bytes()
    assert set(tree(target)) == {f["path"] for f in verify_backup(archive)["files"]}
    # A second forced restore keeps the first restore aside too, under another name.
    again = restore_backup(workspace_settings(target), archive, force=True)
    assert again.moved_aside not in (None, result.moved_aside) and result.moved_aside.exists()


def test_backup_refuses_an_existing_file_a_missing_directory_and_a_place_inside_the_data_dir(workspace, tmp_path):
    existing = tmp_path / "taken.tar.gz"
    existing.write_bytes(b"keep me")
    with pytest.raises(Conflict, match="already exists") as info:
        create_backup(workspace, existing)
    assert info.value.field == "dest" and existing.read_bytes() == b"keep me"
    with pytest.raises(NotFound) as info:
        create_backup(workspace, tmp_path / "nowhere" / "b.tar.gz")
    assert info.value.field == "dest"
    with pytest.raises(InvalidInput, match="inside the data directory") as info:
        create_backup(workspace, workspace.data_dir / "b.tar.gz")
    assert info.value.field == "dest"
    with pytest.raises(NotFound) as info:
        create_backup(workspace_settings(tmp_path / "no-such-dir"), tmp_path / "b.tar.gz")
    assert info.value.field == "data_dir"


def test_restore_of_a_missing_archive_names_the_archive(tmp_path):
    with pytest.raises(NotFound) as info:
        restore_backup(workspace_settings(tmp_path / "data"), tmp_path / "missing.tar.gz")
    assert info.value.field == "archive"


def test_a_postgresql_app_db_and_an_environment_key_are_said_not_to_be_in_the_archive(workspace, tmp_path):
    settings = workspace.model_copy(update={
        "app_db_url": "postgresql://growthos:s3cret-pass@db.internal:5432/growthos",
        "encryption_key": SecretStr("A" * 43 + "="),
    })
    dest = tmp_path / "pg.tar.gz"
    manifest = create_backup(settings, dest)
    assert manifest["app_db"]["kind"] == "postgresql" and manifest["app_db"]["included"] is False
    assert "pg_dump" in manifest["app_db"]["note"] and "NOT in this archive" in manifest["app_db"]["note"]
    assert manifest["encryption_key"] == {"source": "environment", "included": False,
                                          "note": manifest["encryption_key"]["note"]}
    assert "GROWTHOS_ENCRYPTION_KEY" in manifest["encryption_key"]["note"]
    paths = {f["path"] for f in manifest["files"]}
    assert "app.db" not in paths and "warehouse.duckdb" in paths
    raw = gzip.decompress(dest.read_bytes())
    assert b"s3cret-pass" not in raw and b"A" * 43 not in raw


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real command line in its own process (DuckDB's file lock is per process: a server in this one does
    not lock this process out)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROWTHOS_")}
    return subprocess.run([sys.executable, "-c", "from growthos.cli import app; app()", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_backup_and_restore_are_refused_while_a_server_holds_the_warehouse(tmp_path, archive):
    data_dir = tmp_path / "served"
    out = tmp_path / "out"
    out.mkdir()
    with empty_server(data_dir):
        assert (data_dir / "warehouse.duckdb").exists()
        before = tree(data_dir / "collector-journal") if (data_dir / "collector-journal").exists() else {}
        done = _cli("--data-dir", str(data_dir), "backup", str(out / "b.tar.gz"), cwd=out)
        assert done.returncode == 2, done.stderr
        assert "in use by another process" in done.stderr and "growthos serve" in done.stderr
        assert list(out.iterdir()) == []  # no archive, no partial file
        forced = _cli("--data-dir", str(data_dir), "restore", str(archive), "--force", cwd=out)
        assert forced.returncode == 2 and "in use by another process" in forced.stderr, forced.stderr
        assert not list(tmp_path.glob("served.pre-restore-*"))
        if before:
            assert tree(data_dir / "collector-journal") == before


def test_a_damaged_app_db_makes_the_backup_fail_clearly_and_write_nothing(workspace, tmp_path):
    from growthos.backup import BackupError

    data_dir = tmp_path / "data"
    shutil.copytree(workspace.data_dir, data_dir)
    (data_dir / "app.db").write_bytes(b"\x00garbage" * 4096)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(BackupError, match="cannot copy the app database.*growthos doctor") as info:
        create_backup(workspace_settings(data_dir), out / "b.tar.gz")
    assert info.value.field == "app_db"
    assert list(out.iterdir()) == []
