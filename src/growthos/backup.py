"""Backup and restore of a data directory: one tar.gz archive with a manifest of every file's checksum.

What the archive holds (members under ``data/``, then ``manifest.json``):

- ``warehouse.duckdb``: raw synced records, collected events, telemetry, sync cursors and the built marts. It is
  opened read-write (which takes DuckDB's file lock, so a running server or CLI job makes the backup refuse with
  the usual Conflict), checkpointed (the WAL folded into the file) and copied byte for byte while the lock is
  held. Chosen over ``EXPORT DATABASE``: the copy is exact (indexes, sequences, views, types) and restores by a
  file rename; an export is rebuilt by ``IMPORT DATABASE``, slower and not faithful to every type and constraint.
  The copy opens with the same or a newer DuckDB (the manifest records the version that wrote it).
- ``app.db`` (the SQLite app database: API keys, sessions, connections and their encrypted secrets, job runs,
  snapshots, alert rules and alerts), copied with SQLite's online backup API (a consistent snapshot). A
  PostgreSQL app database is not in the archive: the manifest says so; back it up with ``pg_dump``.
- the encryption key file(s): ``encryption.key`` and, mid-rotation, ``encryption.key.<id>.old``. A key given in
  GROWTHOS_ENCRYPTION_KEY is not in the archive (the manifest says so); keep it with the archive.
- ``growthos.toml``, the YAML configs (loops.yaml, alerts.yaml, activation.yaml), the collector journal's
  segments (``collector-journal/*.seg``) and any other regular file of the data directory.

Left out: temporary files (``*.tmp``, a pending ``encryption.key.new``), SQLite's ``-journal``/``-wal``/``-shm``
files (the online backup includes what they hold) and symbolic links (listed under ``skipped``).

The archive holds the encryption key and the encrypted secrets: it is written with mode 0600 — keep it as
private as the data directory. It is written under a temporary name and renamed when complete, so the final name
never holds half an archive.

Restore checks the manifest and every member's size and SHA-256 before touching anything, refuses unsafe members
(absolute paths, ``..``, links, devices, anything but regular files under ``data/``), refuses a data directory in
use or not empty (``force`` moves it aside to ``<data dir>.pre-restore-<timestamp>``; nothing is deleted),
extracts into a temporary directory next to the target, checks the extracted files again and renames it into
place.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from growthos.core.errors import Conflict, GrowthOSError, InvalidInput, NotFound, WarehouseError
from growthos.security.crypto import KEY_FILE_NAME

if TYPE_CHECKING:
    from growthos.config import Settings

FORMAT = "growthos-backup"
FORMAT_VERSION = 1
"""Version of the archive layout and manifest; a restore refuses versions it does not know."""
MANIFEST = "manifest.json"
DATA_PREFIX = "data/"
WAREHOUSE_FILE = "warehouse.duckdb"
APP_DB_FILE = "app.db"
JOURNAL_DIR = "collector-journal"
_CHUNK = 1 << 20
_SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")
PG_NOTE = ("the app database is on PostgreSQL and is NOT in this archive (API keys, connections and their "
           "secrets, job runs, snapshots, alerts live there): back it up with pg_dump and restore it with "
           "pg_restore or psql")
ENV_KEY_NOTE = ("the encryption key comes from GROWTHOS_ENCRYPTION_KEY and is NOT in this archive: keep it with "
                "the archive, the connections' secrets cannot be decrypted without it")


class BackupError(GrowthOSError):
    """A file of the data directory cannot be copied into the backup (damaged, unreadable)."""

    status = 500
    title = "Backup failed"


@dataclass(frozen=True)
class FileEntry:
    path: str
    """Relative to the data directory, POSIX separators."""
    kind: str
    """warehouse, app_db, key, config, journal or other."""
    size: int
    sha256: str
    mode: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "size": self.size, "sha256": self.sha256,
                "mode": f"{self.mode:04o}"}


@dataclass
class RestoreResult:
    data_dir: Path
    moved_aside: Path | None
    """Where the data directory that was there before now is (None when there was none or it was empty)."""
    files: int
    bytes: int
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"data_dir": str(self.data_dir), "moved_aside": str(self.moved_aside) if self.moved_aside else None,
                "files": self.files, "bytes": self.bytes, "created_at": self.manifest.get("created_at"),
                "growthos_version": self.manifest.get("growthos_version"),
                "app_db": self.manifest.get("app_db"), "encryption_key": self.manifest.get("encryption_key"),
                "notes": self.notes}


def default_archive_name(now: datetime | None = None) -> str:
    """``growthos-backup-<UTC timestamp>.tar.gz``."""
    return f"growthos-backup-{_stamp(now)}.tar.gz"


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# -- backup ----------------------------------------------------------------------------------------------------


def create_backup(settings: Settings, dest: Path) -> dict[str, Any]:
    """Write one archive of the data directory to ``dest`` (a file name, or a directory to hold the default
    name); returns its manifest. Conflict when the warehouse is in use or ``dest`` exists."""
    data_dir = settings.data_dir.absolute()
    if not data_dir.is_dir():
        raise NotFound(f"there is no data directory at {data_dir}", field="data_dir")
    dest = Path(dest).absolute()
    if dest.is_dir():
        dest = dest / default_archive_name()
    if not dest.parent.is_dir():
        raise NotFound(f"the directory {dest.parent} of the archive does not exist", field="dest")
    if dest.exists():
        raise Conflict(f"{dest} already exists; choose another name (a backup never overwrites a file)", field="dest")
    if _is_within(dest, data_dir):
        raise InvalidInput(f"{dest} is inside the data directory {data_dir}; write the backup elsewhere (ideally "
                           "another disk)", field="dest")
    app_db = _app_db(settings)
    key_file = _key_file(settings)
    plan, skipped = _plan(data_dir, app_db.get("source"), key_file)
    if not plan and app_db.get("source") is None:
        raise NotFound(f"the data directory {data_dir} holds nothing to back up", field="data_dir")

    partial = dest.with_name(f".{dest.name}.partial-{secrets.token_hex(4)}")
    staging = dest.parent / f".{dest.name}.staging-{secrets.token_hex(4)}"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    entries: list[FileEntry] = []
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
                with _locked_warehouse(settings.warehouse_path if (data_dir / WAREHOUSE_FILE).exists()
                                       else None) as warehouse:
                    if warehouse is not None:
                        st = os.fstat(warehouse.fileno())
                        entries.append(_add_stream(tar, WAREHOUSE_FILE, "warehouse", warehouse, st.st_size,
                                                   st.st_mode))
                        wal = data_dir / f"{WAREHOUSE_FILE}.wal"
                        if wal.exists() and wal.stat().st_size > 0:  # CHECKPOINT empties it; kept if it did not
                            entries.append(_add_file(tar, wal, f"{WAREHOUSE_FILE}.wal", "warehouse"))
                    if app_db.get("source") is not None:
                        staging.mkdir(mode=0o700)
                        copy = staging / APP_DB_FILE
                        _sqlite_backup(app_db["source"], copy)
                        entries.append(_add_file(tar, copy, APP_DB_FILE, "app_db",
                                                 mode=app_db["source"].stat().st_mode & 0o777))
                    for rel, path, kind in plan:
                        entries.append(_add_file(tar, path, rel, kind))
                manifest = _manifest(settings, data_dir, entries, skipped, app_db, key_file)
                body = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(body), 0o600, int(datetime.now(UTC).timestamp())
                tar.addfile(info, io.BytesIO(body))
            raw.flush()
            os.fsync(raw.fileno())
        os.link(partial, dest)  # never replaces a file that appeared meanwhile
        _fsync_dir(dest.parent)
    except FileExistsError:
        raise Conflict(f"{dest} already exists; choose another name", field="dest") from None
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


@contextlib.contextmanager
def _locked_warehouse(path: Path | None) -> Iterator[IO[bytes] | None]:
    """The warehouse file, checkpointed and open for reading while this process holds DuckDB's lock on it.

    POSIX file locks belong to the process and closing any descriptor of the file drops them: the connection
    is closed first, then the file read here (closing it earlier would release the lock mid-copy)."""
    if path is None:
        yield None
        return
    from growthos.warehouse.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine(path)  # Conflict when another process holds it; WarehouseError when damaged
    handle: IO[bytes] | None = None
    try:
        try:
            engine.execute("CHECKPOINT")
        except WarehouseError as exc:
            raise WarehouseError(f"cannot checkpoint the warehouse {path} for the backup: {exc.message}",
                                 field=exc.field) from exc
        handle = open(path, "rb")  # noqa: SIM115 - closed after the connection, below
        yield handle
    finally:
        engine.close()
        if handle is not None:
            handle.close()


def _app_db(settings: Settings) -> dict[str, Any]:
    from growthos.store.engine import parse_url, sqlite_path

    url = parse_url(settings.resolved_app_db_url)
    kind = url.get_backend_name()
    if kind != "sqlite":
        return {"kind": kind, "included": False, "note": PG_NOTE}
    path = sqlite_path(url)
    if path is None:
        return {"kind": "sqlite", "included": False, "note": "the app database is in memory: nothing to back up"}
    if not path.exists():
        return {"kind": "sqlite", "included": False, "note": f"there is no app database yet ({path} is missing)"}
    info: dict[str, Any] = {"kind": "sqlite", "included": True, "path": APP_DB_FILE, "source": path.absolute()}
    if path.absolute() != (settings.data_dir / APP_DB_FILE).absolute():
        info["note"] = (f"the app database was {path} (outside the data directory, app_db_url); it is stored as "
                        f"{APP_DB_FILE} and restored into the data directory")
    return info


def _key_file(settings: Settings) -> dict[str, Any]:
    from growthos.security.crypto import EnvKey, key_source

    source = key_source(settings)
    if isinstance(source, EnvKey):
        return {"source": "environment", "included": False, "note": ENV_KEY_NOTE}
    path = Path(source.path).absolute()  # type: ignore[attr-defined]
    info: dict[str, Any] = {"source": "file", "path": path}
    if not path.exists():
        info.update(included=False, note="there is no key file yet (no connection secret was ever stored)")
    elif path.parent != settings.data_dir.absolute():
        info.update(included=True, note=f"the key file was {path} (encryption_key_file, outside the data "
                                        f"directory); it is stored as {KEY_FILE_NAME} and restored into the data "
                                        "directory")
    else:
        info["included"] = True
    return info


def _plan(data_dir: Path, app_db: Path | None, key_info: dict[str, Any]) -> tuple[list[tuple[str, Path, str]],
                                                                                   list[dict[str, str]]]:
    """(relative name, file, kind) of every file copied as it is, and what is left out and why."""
    plan: list[tuple[str, Path, str]] = []
    skipped: list[dict[str, str]] = []
    sqlite_sides = {f"{APP_DB_FILE}{s}" for s in _SQLITE_SIDE_FILES}
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir).as_posix()
        if path.is_symlink():
            skipped.append({"path": rel, "reason": "a symbolic link (not followed)"})
            continue
        if path.is_dir():
            continue
        if not path.is_file():
            skipped.append({"path": rel, "reason": "not a regular file"})
            continue
        if rel in (WAREHOUSE_FILE, f"{WAREHOUSE_FILE}.wal"):
            continue  # copied under the warehouse's lock
        if rel == APP_DB_FILE or rel in sqlite_sides or (app_db is not None and path.absolute() == app_db):
            continue  # the online backup's copy
        if rel.endswith(".tmp") or rel == f"{KEY_FILE_NAME}.new":
            skipped.append({"path": rel, "reason": "a temporary file"})
            continue
        plan.append((rel, path, _kind(rel)))
    key_path = key_info.get("path")
    if key_info.get("included") and key_path is not None and key_path.parent != data_dir:
        plan.append((KEY_FILE_NAME, key_path, "key"))
        for old in sorted(key_path.parent.glob(f"{key_path.name}.*.old")):
            plan.append((f"{KEY_FILE_NAME}.{old.name[len(key_path.name) + 1:]}", old, "key"))
    return plan, skipped


def _kind(rel: str) -> str:
    name = PurePosixPath(rel)
    if rel == KEY_FILE_NAME or (rel.startswith(f"{KEY_FILE_NAME}.") and rel.endswith(".old")):
        return "key"
    if len(name.parts) == 1 and name.suffix in (".toml", ".yaml", ".yml"):
        return "config"
    if name.parts[0] == JOURNAL_DIR and name.suffix == ".seg":
        return "journal"
    return "other"


def _sqlite_backup(source: Path, target: Path) -> None:
    try:
        src = sqlite3.connect(f"{source.absolute().as_uri()}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the app database {source}: {exc}. Run `growthos doctor` for the way to "
                          "recover", field="app_db") from exc


class _Hashing(io.RawIOBase):
    """Reads from ``source``, hashing and counting what passes."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.digest = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self.digest.update(data)
        self.count += len(data)
        return data


def _add_stream(tar: tarfile.TarFile, rel: str, kind: str, source: IO[bytes], size: int, mode: int) -> FileEntry:
    info = tarfile.TarInfo(DATA_PREFIX + rel)
    info.size, info.mode, info.mtime = size, mode & 0o777, int(datetime.now(UTC).timestamp())
    reader = _Hashing(source)
    try:
        tar.addfile(info, reader)  # type: ignore[arg-type]
    except OSError as exc:
        raise BackupError(f"cannot read {rel} for the backup: {exc}", field="data_dir") from exc
    return FileEntry(rel, kind, reader.count, reader.digest.hexdigest(), mode & 0o777)


def _add_file(tar: tarfile.TarFile, path: Path, rel: str, kind: str, mode: int | None = None) -> FileEntry:
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            return _add_stream(tar, rel, kind, f, st.st_size, st.st_mode if mode is None else mode)
    except OSError as exc:
        raise BackupError(f"cannot read {path} for the backup: {exc}", field="data_dir") from exc


def _manifest(settings: Settings, data_dir: Path, entries: list[FileEntry], skipped: list[dict[str, str]],
              app_db: dict[str, Any], key_info: dict[str, Any]) -> dict[str, Any]:
    import importlib.metadata

    import duckdb

    try:
        version = importlib.metadata.version("growthos")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        version = "unknown"
    public_app_db = {k: v for k, v in app_db.items() if k != "source"}
    public_key = {k: (str(v) if isinstance(v, Path) else v) for k, v in key_info.items()}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "growthos_version": version,
        "duckdb_version": duckdb.__version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(data_dir),
        "engine": settings.engine,
        "app_db": public_app_db,
        "encryption_key": public_key,
        "contains_secrets": True,
        "files": [e.to_dict() for e in entries],
        "total_bytes": sum(e.size for e in entries),
        "skipped": skipped,
    }


# -- verify ----------------------------------------------------------------------------------------------------


def verify_backup(archive: Path) -> dict[str, Any]:
    """The manifest of ``archive`` once its every member is checked (safe name, regular file, listed in the
    manifest with this size and SHA-256, none missing); InvalidInput naming ``archive`` otherwise."""
    archive = Path(archive)
    if not archive.is_file():
        raise NotFound(f"there is no backup archive at {archive}", field="archive")
    seen: dict[str, tuple[int, str]] = {}
    manifest_bytes: bytes | None = None
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            for member in tar:
                name = _check_member(member, archive)
                if name in seen or (name == MANIFEST and manifest_bytes is not None):
                    raise _bad(archive, f"the member {name!r} appears twice")
                source = tar.extractfile(member)
                assert source is not None  # a regular file (checked)
                if name == MANIFEST:
                    manifest_bytes = source.read(8 * _CHUNK + 1)
                    if len(manifest_bytes) > 8 * _CHUNK:
                        raise _bad(archive, "its manifest is larger than any GrowthOS writes")
                    continue
                digest, size = hashlib.sha256(), 0
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                seen[name] = (size, digest.hexdigest())
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _bad(archive, f"it is damaged, truncated or not a tar.gz archive ({exc})") from exc
    if manifest_bytes is None:
        raise _bad(archive, f"it has no {MANIFEST}: not a GrowthOS backup")
    manifest = _parse_manifest(manifest_bytes, archive)
    listed = {f["path"]: f for f in manifest["files"]}
    for rel, (size, digest) in seen.items():
        entry = listed.get(rel[len(DATA_PREFIX):])
        if entry is None:
            raise _bad(archive, f"the member {rel!r} is not listed in its manifest")
        if size != entry["size"] or digest != entry["sha256"]:
            raise _bad(archive, f"the member {rel!r} does not match its checksum in the manifest (size {size}, "
                                f"expected {entry['size']}): the archive was altered or damaged")
    missing = sorted(set(listed) - {rel[len(DATA_PREFIX):] for rel in seen})
    if missing:
        raise _bad(archive, f"files listed in its manifest are missing: {', '.join(missing)}")
    return manifest


def _bad(archive: Path, reason: str) -> InvalidInput:
    return InvalidInput(f"{archive} cannot be restored: {reason}", field="archive")


def _check_member(member: tarfile.TarInfo, archive: Path) -> str:
    """The member's name when it is a regular file named ``manifest.json`` or ``data/<relative path>``."""
    name = member.name
    if not (member.isreg()):
        kind = ("a link" if member.issym() or member.islnk() else "a device" if member.isdev()
                else "a directory" if member.isdir() else "not a regular file")
        raise _bad(archive, f"the member {name!r} is {kind}; a GrowthOS backup holds regular files only")
    if name == MANIFEST:
        return name
    if "\\" in name or "\x00" in name or name.startswith("/") or not name.startswith(DATA_PREFIX):
        raise _bad(archive, f"the member {name!r} has an unsafe or unexpected path (absolute, or outside data/)")
    parts = PurePosixPath(name).parts
    if any(p in ("..", ".", "") for p in parts) or len(parts) < 2 or PurePosixPath(name).is_absolute():
        raise _bad(archive, f"the member {name!r} has an unsafe path (.. or empty parts)")
    return name


def _parse_manifest(data: bytes, archive: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise _bad(archive, f"its {MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _bad(archive, f"its {MANIFEST} is not a GrowthOS backup manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise _bad(archive, f"it has backup format version {version!r}; this GrowthOS reads version "
                            f"{FORMAT_VERSION} (was it made by a newer GrowthOS?)")
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
            isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("size"), int)
            and isinstance(f.get("sha256"), str) for f in files):
        raise _bad(archive, f"its {MANIFEST} has no valid list of files")
    return manifest


# -- restore ---------------------------------------------------------------------------------------------------


def restore_backup(settings: Settings, archive: Path, force: bool = False) -> RestoreResult:
    """Restore ``archive`` as the data directory of ``settings``, after checking all of it.

    A data directory that is not empty is refused unless ``force``, which moves it aside to
    ``<data dir>.pre-restore-<timestamp>`` (never deleted). Conflict when its warehouse is in use."""
    manifest = verify_backup(archive)
    target = settings.data_dir.absolute()
    moved_aside: Path | None = None
    if target.exists() or target.is_symlink():
        if target.is_symlink() or not target.is_dir():
            raise InvalidInput(f"{target} is not a directory; restore into a directory", field="data_dir")
        if any(target.iterdir()):
            if not force:
                raise Conflict(f"the data directory {target} is not empty; pass --force to move it aside to "
                               f"{target}.pre-restore-<timestamp> (nothing is deleted) and restore in its place",
                               field="data_dir")
            _refuse_in_use(target / WAREHOUSE_FILE)
            moved_aside = _aside_name(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(f"{target.parent / ('.' + target.name)}.restore-{secrets.token_hex(4)}")
    staging.mkdir(mode=0o700)
    try:
        restored = staging / "data"
        restored.mkdir(mode=0o700)
        _extract(archive, staging, manifest)
        _check_extracted(restored, manifest, archive)
        if moved_aside is not None:
            _refuse_in_use(target / WAREHOUSE_FILE)  # again, just before the move
            os.rename(target, moved_aside)
        elif target.exists():
            target.rmdir()  # empty
        try:
            os.rename(restored, target)
        except OSError:
            if moved_aside is not None:
                os.rename(moved_aside, target)
            raise
        _fsync_dir(target.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(target, moved_aside, len(manifest["files"]),
                         sum(f["size"] for f in manifest["files"]), manifest, _notes(settings, manifest))


def _refuse_in_use(warehouse: Path) -> None:
    """Conflict when another process holds the warehouse (a read-only probe: it never writes the file); a
    damaged file is fine, it is being replaced."""
    if not warehouse.exists():
        return
    from growthos.warehouse.duckdb_engine import DuckDBEngine

    try:
        DuckDBEngine(warehouse, read_only=True).close()
    except Conflict:
        raise
    except GrowthOSError:
        pass


def _aside_name(target: Path) -> Path:
    base = f"{target}.pre-restore-{_stamp()}"
    candidate, n = Path(base), 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = Path(f"{base}-{n}")
    return candidate


def _extract(archive: Path, staging: Path, manifest: dict[str, Any]) -> None:
    wanted = {DATA_PREFIX + f["path"] for f in manifest["files"]}
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            members = []
            for member in tar.getmembers():
                name = _check_member(member, archive)
                if name in wanted:
                    members.append(member)
            tar.extractall(staging, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _bad(archive, f"extracting it failed ({exc})") from exc


def _check_extracted(restored: Path, manifest: dict[str, Any], archive: Path) -> None:
    """The extracted files against the manifest again (the archive may have changed since it was checked)."""
    for entry in manifest["files"]:
        path = restored / entry["path"]
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
        except OSError as exc:
            raise _bad(archive, f"{entry['path']} was not extracted ({exc})") from exc
        if digest.hexdigest() != entry["sha256"]:
            raise _bad(archive, f"{entry['path']} changed between the check and the extraction")
        if entry.get("kind") == "key" or entry["path"].startswith(JOURNAL_DIR + "/"):
            path.chmod(0o600)


def _notes(settings: Settings, manifest: dict[str, Any]) -> list[str]:
    import duckdb

    from growthos.store.engine import parse_url

    notes = []
    app_db, key = manifest.get("app_db") or {}, manifest.get("encryption_key") or {}
    for info in (app_db, key):
        if info.get("note"):
            notes.append(str(info["note"]))
    if app_db.get("kind") == "sqlite" and app_db.get("included"):
        try:
            backend = parse_url(settings.resolved_app_db_url).get_backend_name()
        except GrowthOSError:
            backend = "unknown"
        if backend != "sqlite":
            notes.append(f"this workspace's app database is {backend}, not the restored {APP_DB_FILE}: set "
                         "app_db_url to use the restored file, or restore the PostgreSQL database separately")
    written = manifest.get("duckdb_version")
    if written and written != duckdb.__version__:
        notes.append(f"the warehouse was written by DuckDB {written}; this GrowthOS runs DuckDB "
                     f"{duckdb.__version__} (a newer DuckDB reads older files; an older one may not)")
    return notes


# -- helpers ---------------------------------------------------------------------------------------------------


def _is_within(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
