"""`growthos doctor`: check every file of a data directory and say, for each problem, how to recover.

Read-only: nothing is repaired or rewritten here (the warehouse is opened read-only, SQLite with ``mode=ro``, the
journal's segments are read as bytes). What is checked:

- ``warehouse.duckdb`` opens, and every table reads whole (each row hashed, so every block's checksum is
  verified); a running server holds it, and then it is not checked (a warning, not an error);
- ``app.db`` (SQLite): ``PRAGMA integrity_check``; a PostgreSQL app database (``app_db_url``): it answers (in a
  read-only session, within ``PG_CONNECT_TIMEOUT_S``) and its migrations are those of this GrowthOS;
- the encryption key (file: present when connection secrets exist, mode 0600, 32 bytes as base64; from the
  environment: valid), keys left by an interrupted rotation, and that every stored secret's key is available;
- ``growthos.toml`` parses and its settings are valid;
- ``loops.yaml``, ``alerts.yaml``, ``activation.yaml`` parse with their own parsers (other YAML files: syntax);
- the collector journal, as the journal itself reads it on opening (journal.py): from the position the
  warehouse has loaded, every frame's length and CRC-32; a torn tail of the newest segment (a write cut short,
  never acknowledged, cut off by the server) is told apart from damage to acknowledged records.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from growthos.core.errors import ConfigError, GrowthOSError

if TYPE_CHECKING:
    from growthos.config import Settings

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)
JOURNAL_DIR = "collector-journal"
YAML_FILES = ("loops.yaml", "alerts.yaml", "activation.yaml")

RESTORE_WHOLE = "restore the latest backup: `growthos restore FILE --force` (the current data directory is moved aside)"


def restore_one(name: str) -> str:
    """How to take one file from a backup without rolling back the others."""
    return (f"take only {name} from the backup: `growthos --data-dir SCRATCH restore FILE` into a scratch directory, "
            f"then copy {name} from it into the data directory with the server stopped")


@dataclass(frozen=True)
class Finding:
    file: str
    """The file (or directory) concerned."""
    problem: str
    severity: str
    """error (the workspace cannot work, or data is at risk), warning or info."""
    recovery: str
    """What to do about it."""

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "severity": self.severity, "problem": self.problem, "recovery": self.recovery}


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def doctor_settings(data_dir: Path | None) -> Settings:
    """The settings of ``data_dir`` (or the environment's), without growthos.toml when that file is broken: the
    doctor must run on exactly the directories whose files are damaged."""
    from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

    from growthos.config import Settings, load_settings

    try:
        return load_settings(data_dir=data_dir)
    except ConfigError:
        class _WithoutWorkspaceFile(Settings):
            @classmethod
            def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                           init_settings: PydanticBaseSettingsSource,
                                           env_settings: PydanticBaseSettingsSource,
                                           dotenv_settings: PydanticBaseSettingsSource,
                                           file_secret_settings: PydanticBaseSettingsSource,
                                           ) -> tuple[PydanticBaseSettingsSource, ...]:
                return (init_settings, env_settings)

        overrides = {"data_dir": data_dir} if data_dir is not None else {}
        try:
            return _WithoutWorkspaceFile(**overrides)
        except Exception:  # an environment variable is invalid too: only the data directory is known
            return Settings.model_construct(data_dir=data_dir or Path(os.environ.get("GROWTHOS_DATA_DIR",
                                                                                      "./growthos-data")))


def diagnose(settings: Settings) -> list[Finding]:
    """Every problem found in the data directory of ``settings`` (empty when all is well)."""
    data_dir = settings.data_dir
    if not data_dir.is_dir():
        return [Finding(str(data_dir), "the data directory does not exist", WARNING,
                        "check --data-dir or GROWTHOS_DATA_DIR; to bring back a workspace from a backup: "
                        "`growthos restore FILE`")]
    findings: list[Finding] = []
    warehouse = _check_warehouse(settings)
    findings += warehouse.findings
    findings += _check_app_db(settings, warehouse)
    findings += _check_keys(settings)
    findings += _check_toml(data_dir)
    findings += _check_yaml(data_dir)
    findings += _check_journal(data_dir / JOURNAL_DIR, warehouse)
    return findings


# -- warehouse -------------------------------------------------------------------------------------------------


@dataclass
class _Warehouse:
    findings: list[Finding]
    exists: bool
    in_use: bool = False
    loaded: int | None = None
    """The journal position the warehouse has loaded (None when unknown)."""


def _check_warehouse(settings: Settings) -> _Warehouse:
    import duckdb

    path = settings.warehouse_path
    if not path.exists():
        return _Warehouse([], exists=False, loaded=0)  # the server would create it, having loaded nothing
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        # Another process holds its lock; or this very process has it open (DuckDB then refuses a second,
        # differently configured connection): a server running the doctor in-process.
        if "Conflicting lock" in str(exc) or "different configuration" in str(exc):
            return _Warehouse([Finding(str(path), "in use by a running process (a server or a CLI job holds its "
                                       "lock): not checked, nor the collector journal it writes", WARNING,
                                       "stop the server (or wait for the job) and run `growthos doctor` again")],
                              exists=True, in_use=True)
        return _Warehouse([_damaged_warehouse(settings, f"cannot be opened: {_first_line(exc)}")], exists=True)
    try:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
                             "ORDER BY schema_name, table_name").fetchall()
        broken: list[str] = []
        first_error = ""
        for schema, table in tables:
            try:
                con.execute(f'SELECT count(*), sum(hash(t)) FROM "{schema}"."{table}" AS t').fetchall()
            except duckdb.Error as exc:
                broken.append(table if schema == "main" else f"{schema}.{table}")
                first_error = first_error or _first_line(exc)
                if "invalidated" in str(exc):
                    break
        if broken:
            return _Warehouse([_damaged_warehouse(
                settings, f"{len(broken)} of {len(tables)} tables cannot be read: {', '.join(broken[:8])}"
                          f"{', ...' if len(broken) > 8 else ''} ({first_error})")], exists=True)
        loaded = None
        if any(t == "collector_journal" and s == "main" for s, t in tables):
            row = con.execute("SELECT max(position) FROM collector_journal").fetchone()
            loaded = int(row[0]) if row and row[0] is not None else 0
        else:
            loaded = 0  # nothing collected yet: the journal is opened at position 0
        return _Warehouse([], exists=True, loaded=loaded)
    except duckdb.Error as exc:
        return _Warehouse([_damaged_warehouse(settings, f"its catalogue cannot be read: {_first_line(exc)}")],
                          exists=True)
    finally:
        con.close()


def _damaged_warehouse(settings: Settings, problem: str) -> Finding:
    path = settings.warehouse_path
    journal = settings.data_dir / JOURNAL_DIR
    starts = _segment_starts(journal)
    if not starts:
        journal_step = ""
    elif starts[0] == 0:
        journal_step = (f" Keep {journal}: it starts at position 0, so the server loads the events it holds into "
                        "the new warehouse.")
    else:
        journal_step = (f" Move the collector journal aside too (`mv {journal} {journal}.old`): it starts at "
                        f"position {starts[0]}, which a new warehouse (loaded up to 0) cannot resume, so the server "
                        "would refuse it.")
    demo = " For the demo workspace, `growthos demo` regenerates everything." if settings.demo else ""
    recovery = (
        f"{RESTORE_WHOLE}; or {restore_one(path.name)}. Without a backup, rebuild it: stop the server, "
        f"`mv {path} {path}.damaged`, then `growthos sync --full` and `growthos build` re-fetch the raw records the "
        "sources' APIs still serve and rebuild the marts." + journal_step +
        " A rebuild loses what lives only in the warehouse: collected events and telemetry (the journal keeps only "
        "the most recent of them), and records a source no longer serves." + demo)
    return Finding(str(path), f"the warehouse is damaged: {problem}", ERROR, recovery)


# -- app database ----------------------------------------------------------------------------------------------


def _app_db_path(settings: Settings) -> Path | None:
    """The SQLite file of the app database, None for PostgreSQL (not a file of the data directory)."""
    from growthos.store.engine import parse_url, sqlite_path

    try:
        url = parse_url(settings.resolved_app_db_url)
    except GrowthOSError:
        return None
    return sqlite_path(url) if url.get_backend_name() == "sqlite" else None


PG_CONNECT_TIMEOUT_S = 5
"""How long the doctor waits for a PostgreSQL app database to answer."""


@dataclass
class _Postgres:
    where: str
    """The URL with its password masked."""
    error: str | None = None
    """Why it could not be read (None when it was)."""
    revisions: tuple[str, ...] = ()
    secrets: list[tuple[str, Any]] | None = None
    """(connection name, secrets) rows; None when the table is not there."""


def _postgres_url(settings: Settings):
    from growthos.store.engine import parse_url

    try:
        url = parse_url(settings.resolved_app_db_url)
    except GrowthOSError:
        return None
    return url if url.get_backend_name() == "postgresql" else None


def _read_postgres(url) -> _Postgres:
    """What the doctor needs of a PostgreSQL app database, read in one read-only session."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from growthos.store.engine import describe_url
    from growthos.store.migrate import VERSION_TABLE, revisions_of

    found = _Postgres(describe_url(url))
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})
    try:
        with engine.connect() as conn:
            conn.execute(text("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"))  # changes nothing
            tables = set(inspect(conn).get_table_names())
            found.revisions = revisions_of(conn) if VERSION_TABLE in tables else ()
            if "connections" in tables:
                found.secrets = [tuple(r) for r in conn.execute(text("SELECT name, secrets FROM connections"))]
    except SQLAlchemyError as exc:
        found.error = _first_line(getattr(exc, "orig", None) or exc)
    finally:
        engine.dispose()
    return found


def _check_postgres(warehouse: _Warehouse, pg: _Postgres) -> list[Finding]:
    from growthos.store.migrate import head_revision, known_revisions

    dump = '`pg_restore --clean -d "$DATABASE_URL" growthos-app.dump` from the dump taken with the last backup'
    if pg.error is not None:
        return [Finding(pg.where, f"the PostgreSQL app database cannot be reached: {pg.error}", ERROR,
                        "check that the PostgreSQL server is running and reachable from here (`pg_isready -h HOST -p "
                        "PORT`), and that app_db_url (GROWTHOS_APP_DB_URL) names it with a user and password it "
                        "accepts (`psql \"$DATABASE_URL\" -c 'select 1'`); if the database itself was lost, create it "
                        f"again and {dump} (docs/operations.md)")]
    head, known = head_revision(), known_revisions()
    if not pg.revisions:
        if not warehouse.exists:
            return []  # a new workspace: migrated on first use
        return [Finding(pg.where, "the PostgreSQL app database has no GrowthOS tables (never migrated) while the "
                        "warehouse exists", WARNING,
                        f"if this is the wrong database, fix app_db_url (GROWTHOS_APP_DB_URL); otherwise {dump}. "
                        "Without a dump it is migrated empty on next use: API keys, connections and their secrets, "
                        "job history, snapshots and saved alert rules are gone; create keys and connections again "
                        "(`growthos keys create`, `growthos connections add`)")]
    unknown = [r for r in pg.revisions if r not in known]
    if unknown:
        return [Finding(pg.where, f"the PostgreSQL app database is at migration {', '.join(unknown)}, which this "
                        f"GrowthOS does not know (newest known: {head}): a newer GrowthOS migrated it", ERROR,
                        "run the GrowthOS version that migrated it (or a newer one); to go back to this version, "
                        f"{dump}")]
    if pg.revisions != (head,):
        return [Finding(pg.where, f"the PostgreSQL app database's migrations are not current: it is at "
                        f"{', '.join(pg.revisions)}, this GrowthOS at {head}", WARNING,
                        'take a dump first (`pg_dump -Fc -f growthos-app.dump "$DATABASE_URL"`); the next '
                        "`growthos serve` (or any command that opens the app database) migrates it to "
                        f"{head}; run `growthos doctor` again afterwards")]
    return []


def _check_app_db(settings: Settings, warehouse: _Warehouse) -> list[Finding]:
    url = _postgres_url(settings)
    if url is not None:
        return _check_postgres(warehouse, _read_postgres(url))
    path = _app_db_path(settings)
    if path is None:
        return []
    if not path.exists():
        if not warehouse.exists:
            return []
        return [Finding(str(path), "the app database is missing while the warehouse exists", WARNING,
                        f"{RESTORE_WHOLE}; or {restore_one(path.name)}. Otherwise a new, empty one is "
                        "created on next use: API keys, connections and their secrets, job history, snapshots and "
                        "saved alert rules are gone; create keys and connections again (`growthos keys create`, "
                        "`growthos connections add`)")]
    try:
        con = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()
        problems = [str(r[0]) for r in rows if r and r[0] != "ok"]
    except sqlite3.Error as exc:
        problems = [str(exc)]
    if not problems:
        return []
    return [Finding(str(path), f"the app database fails SQLite's integrity check: {'; '.join(problems[:3])}", ERROR,
                    f"{RESTORE_WHOLE}; or {restore_one(path.name)}. Without a backup: stop the server, "
                    f"`sqlite3 {path} .recover | sqlite3 {path}.recovered` may salvage rows (check it with "
                    f"`growthos doctor` after moving it into place); or `mv {path} {path}.damaged` and start with an "
                    "empty one (created on next use): API keys, connections and their secrets, job history, "
                    "snapshots and saved alert rules are then lost; create keys and connections again")]


def _stored_secret_keys(settings: Settings) -> dict[str, list[str]] | None:
    """Key id -> the connections whose secrets it encrypted; None when the app database cannot be read."""
    from growthos.security.crypto import key_id_of

    url = _postgres_url(settings)
    if url is not None:
        pg = _read_postgres(url)
        if pg.error is not None or pg.secrets is None:
            return None  # unreachable (reported by the app database's check) or no table yet
        rows = pg.secrets
    else:
        path = _app_db_path(settings)
        if path is None or not path.exists():
            return None if path is None else {}
        try:
            con = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
            try:
                rows = con.execute("SELECT name, secrets FROM connections").fetchall()
            finally:
                con.close()
        except sqlite3.Error:
            return None  # no table yet, or damaged (reported by the app database's check)
    keys: dict[str, list[str]] = {}
    for name, secrets in rows:
        try:
            values = json.loads(secrets) if isinstance(secrets, str) else (secrets or {})
        except ValueError:
            continue
        for token in values.values() if isinstance(values, dict) else []:
            try:
                keys.setdefault(key_id_of(token), [])
            except GrowthOSError:
                continue
            if name not in keys[key_id_of(token)]:
                keys[key_id_of(token)].append(name)
    return keys


# -- encryption key --------------------------------------------------------------------------------------------


def _check_keys(settings: Settings) -> list[Finding]:
    from growthos.security.crypto import EncryptionKey, EnvKey, KeyFile, key_source

    source = key_source(settings)
    stored = _stored_secret_keys(settings)
    reenter = ("enter the secrets again: `growthos connections update NAME --set FIELD=VALUE` for each secret "
               "field (connections: {names})")
    if isinstance(source, EnvKey):
        try:
            ring = source.keyring()
        except ConfigError as exc:
            return [Finding("GROWTHOS_ENCRYPTION_KEY", exc.message, ERROR,
                            "set GROWTHOS_ENCRYPTION_KEY to the key the secrets were encrypted with (kept with the "
                            "backups: it is never in the data directory)")]
        return _unknown_keys(stored, {ring.current.key_id}, "GROWTHOS_ENCRYPTION_KEY", reenter)
    assert isinstance(source, KeyFile)
    path = source.path
    findings: list[Finding] = []
    usable: set[str] = set()
    olds = sorted(path.parent.glob(f"{path.name}.*.old"))
    if not path.exists():
        if stored:
            names = ", ".join(sorted({n for v in stored.values() for n in v}))
            findings.append(Finding(str(path), "the encryption key file is missing, and connection secrets are "
                                    "stored: they cannot be decrypted", ERROR,
                                    f"{restore_one(path.name)} (mode 0600); without the key, "
                                    f"{reenter.format(names=names)}"))
    for key_path in [path, *olds] if path.exists() else olds:
        st = key_path.stat()
        if os.name == "posix" and st.st_mode & 0o077:
            findings.append(Finding(str(key_path), f"the encryption key file is readable by group or others (mode "
                                    f"{st.st_mode & 0o777:04o}); GrowthOS refuses to use it", ERROR,
                                    f"`chmod 600 {key_path}`; if others may have read it, rotate the key "
                                    "(`growthos keys rotate-encryption`) after the chmod"))
        try:
            key = EncryptionKey.parse(key_path.read_text(encoding="ascii", errors="replace"),
                                      f"the key file {key_path}")
        except ConfigError as exc:
            findings.append(Finding(str(key_path), f"not a valid encryption key: {exc.message.split('. Make')[0]}",
                                    ERROR, f"{RESTORE_WHOLE}; or {restore_one(key_path.name)}; without "
                                    "the key file the stored connection secrets cannot be decrypted: move it aside "
                                    f"(a new key is generated on next use) and "
                                    f"{reenter.format(names='every connection with secrets')}"))
            continue
        except OSError as exc:
            findings.append(Finding(str(key_path), f"cannot be read: {exc}", ERROR,
                                    f"give the server's user read access (owner only: `chmod 600 {key_path}`)"))
            continue
        usable.add(key.key_id)
        if key_path != path:
            findings.append(Finding(str(key_path), "a previous key left by a key rotation that did not finish",
                                    WARNING, "run `growthos keys rotate-encryption` again: it re-encrypts every "
                                    "secret under the current key and then removes this file"))
    if not findings or all(f.severity != ERROR for f in findings):
        findings += _unknown_keys(stored, usable, str(path), reenter)
    return findings


def _unknown_keys(stored: dict[str, list[str]] | None, usable: set[str], where: str, reenter: str) -> list[Finding]:
    if not stored:
        return []
    missing = {k: v for k, v in stored.items() if k not in usable}
    if not missing:
        return []
    names = ", ".join(sorted({n for v in missing.values() for n in v}))
    return [Finding(where, f"connection secrets are encrypted with key(s) {', '.join(sorted(missing))}, which "
                    f"{where} does not hold (connections: {names}); the key was replaced", ERROR,
                    "put back the key they were encrypted with (from a backup: the key file, or the old "
                    f"GROWTHOS_ENCRYPTION_KEY); otherwise {reenter.format(names=names)}")]


# -- configuration files ---------------------------------------------------------------------------------------


def _check_toml(data_dir: Path) -> list[Finding]:
    from pydantic import ValidationError

    from growthos.config import WORKSPACE_FILE, Settings

    path = data_dir / WORKSPACE_FILE
    if not path.exists():
        return []
    fix = (f"fix it in an editor (the commands and the server refuse to start until then), or "
           f"{restore_one(path.name)}")
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return [Finding(str(path), f"not valid TOML: {exc}", ERROR, fix)]
    except OSError as exc:
        return [Finding(str(path), f"cannot be read: {exc}", ERROR, fix)]
    try:
        Settings.model_validate({**values, "data_dir": data_dir})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "settings"
        return [Finding(str(path), f"setting {name!r}: {first['msg']}", ERROR, fix)]
    return []


def _check_yaml(data_dir: Path) -> list[Finding]:
    import yaml

    from growthos.alerts.config import parse_config
    from growthos.analysis.activation.config import parse_activation_config
    from growthos.analysis.loops.config import parse_loops_yaml

    parsers = {"loops.yaml": parse_loops_yaml, "alerts.yaml": lambda text, name: parse_config(text, name, os.environ),
               "activation.yaml": parse_activation_config}
    findings = []
    for path in sorted([*data_dir.glob("*.yaml"), *data_dir.glob("*.yml")]):
        fix = f"fix the line named in an editor, or {restore_one(path.name)}"
        try:
            text = path.read_text(encoding="utf-8")
            if path.name in parsers:
                parsers[path.name](text, path.name)  # messages name the file: Finding.file has its path
            else:
                yaml.safe_load(text)
        except UnicodeDecodeError as exc:
            findings.append(Finding(str(path), f"not UTF-8 text: {exc}", ERROR, fix))
        except yaml.YAMLError as exc:
            findings.append(Finding(str(path), f"not valid YAML: {_first_line(exc)}", ERROR, fix))
        except GrowthOSError as exc:
            if "environment variable" in exc.message and "is not set" in exc.message:
                findings.append(Finding(str(path), exc.message, WARNING,
                                        "set that environment variable where the server runs (doctor sees only its "
                                        "own environment)"))
            else:
                findings.append(Finding(str(path), exc.message, ERROR, fix))
        except OSError as exc:
            findings.append(Finding(str(path), f"cannot be read: {exc}", ERROR, fix))
    return findings


# -- collector journal -----------------------------------------------------------------------------------------


def _segment_starts(directory: Path) -> list[int]:
    from growthos.sources.collector.journal import _SUFFIX

    if not directory.is_dir():
        return []
    return sorted(int(p.name[: -len(_SUFFIX)]) for p in directory.glob(f"*{_SUFFIX}")
                  if p.name[: -len(_SUFFIX)].isdigit())


def _check_journal(directory: Path, warehouse: _Warehouse) -> list[Finding]:
    """The journal as Journal.open reads it (from the loaded position), without its repairs."""
    from growthos.sources.collector.journal import _HEADER, _frame_end

    starts = _segment_starts(directory)
    if not starts or warehouse.in_use:
        return []
    loaded = warehouse.loaded
    aside = (f"or move the journal aside (`mv {directory} {directory}.damaged`, server stopped): the server then "
             "starts a new journal at the position the warehouse has loaded; the acknowledged events not loaded yet "
             "are lost")
    if loaded is not None and loaded < starts[0]:
        return [Finding(str(directory), f"the journal starts at position {starts[0]} but the warehouse has loaded "
                        f"only up to {loaded} (segments missing, or the warehouse was replaced): the server refuses "
                        "to start", ERROR, f"{RESTORE_WHOLE}; {aside}")]
    findings: list[Finding] = []
    end = loaded or 0
    for i, start in enumerate(starts):
        newest = i == len(starts) - 1
        if not newest and loaded is not None and starts[i + 1] <= loaded:
            continue  # loaded whole: the server deletes it when it next opens the journal
        path = directory / f"{start:020d}.seg"
        try:
            data = path.read_bytes()
        except OSError as exc:
            findings.append(Finding(str(path), f"cannot be read: {exc}", ERROR, f"{RESTORE_WHOLE}; {aside}"))
            return findings
        offset = max((loaded or 0) - start, 0)
        while (frame_end := _frame_end(data, offset)) is not None:
            offset = frame_end
        end = start + offset
        if not newest:
            if end != starts[i + 1]:
                findings.append(Finding(str(path), f"a damaged record at byte {offset} of a full segment: "
                                        "acknowledged events cannot be read back; the server refuses to start "
                                        "(journal corrupt)", ERROR, f"{RESTORE_WHOLE}; {aside}"))
                return findings
            continue
        rest = data[offset:]
        if not rest.strip(b"\x00"):
            continue  # the data ends with the zero fill: intact
        length = _HEADER.unpack_from(data, offset)[0] if offset + _HEADER.size <= len(data) else 0
        extent = offset + _HEADER.size + length
        after = data[extent:] if 0 < length and extent <= len(data) else b""
        # A write cut short leaves the end of its frame as the segment's zero fill (or runs past the segment).
        cut_short = length > 0 and (extent > len(data) or data[extent - 1] == 0)
        if cut_short and not after.strip(b"\x00"):
            findings.append(Finding(str(path), f"a torn record at byte {offset} of the newest segment: a write cut "
                                    "short by a crash (it was never acknowledged)", WARNING,
                                    "nothing to do: the server cuts it off when it next starts; no acknowledged "
                                    "event is lost"))
        else:
            findings.append(Finding(str(path), f"a damaged record at byte {offset} of the newest segment, with "
                                    "written data after it: acknowledged events not yet in the warehouse are at "
                                    "risk; on its next start the server would end the journal there and drop what "
                                    "follows", ERROR, f"before starting the server: {RESTORE_WHOLE} (events "
                                    f"collected since that backup are lost); or keep a copy (`cp {path} "
                                    f"{path}.damaged`) and start the server to accept the loss of the events "
                                    "after the damaged record"))
    if loaded is not None and end < loaded:
        findings.append(Finding(str(directory), f"the journal ends at position {end}, before the position {loaded} "
                                "the warehouse has loaded (an older journal beside a newer warehouse): the server "
                                "refuses to start", ERROR, f"{RESTORE_WHOLE}; {aside}"))
    return findings


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def findings_as_dicts(findings: list[Finding]) -> list[dict[str, Any]]:
    return [f.to_dict() for f in findings]
