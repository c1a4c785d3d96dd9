"""Schema migrations of the app database (alembic, run programmatically; no alembic.ini).

Revisions live in ``migrations/versions/`` (0001_initial.py, 0002_..., each with ``down_revision``
pointing at the previous one). To add a table: write the next revision with explicit ``op`` calls and add
the table to schema.py; tests/store/test_store_migrations.py checks that the two agree.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from growthos.core.errors import ConfigError
from growthos.store.engine import describe_url, make_engine, parse_url, sqlite_path, write_transaction

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
_PG_LOCK_KEY = zlib.crc32(b"growthos.store.migrate")
"""Advisory lock held while migrating PostgreSQL, so two processes starting at once migrate once."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config pointing at the packaged migrations; env.py migrates ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this version of GrowthOS knows."""
    head = _script().get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise ConfigError("no app-database migrations are packaged")
    return head


def known_revisions() -> list[str]:
    """Every packaged revision, oldest first."""
    return [script.revision for script in reversed(list(_script().walk_revisions()))]


def revisions_of(conn: Connection) -> tuple[str, ...]:
    """The revisions recorded in the database (empty when it was never migrated)."""
    return tuple(MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_heads())


def upgrade_engine(engine: Engine) -> str:
    """Migrate the database behind ``engine`` to the head revision; a no-op when it is already there.

    Raises ConfigError when the database was migrated by a newer GrowthOS (a revision unknown here).
    """
    head = head_revision()
    where = describe_url(engine.url)
    try:
        with write_transaction(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            current = revisions_of(conn)
            _refuse_unknown(current, where)
            if current == (head,):
                return head
            command.upgrade(alembic_config(conn), "head")
    except DBAPIError as exc:
        raise ConfigError(f"cannot migrate the app database {where}: {exc.orig}", field="app_db_url") from exc
    return head


def upgrade(url: str | URL) -> str:
    """Create (if needed) and migrate the database at ``url`` to head; returns the head revision."""
    engine = make_engine(url)
    try:
        return upgrade_engine(engine)
    finally:
        engine.dispose()


def current_revision(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at; None if it was never migrated or does not exist."""
    parsed = parse_url(url)
    path = sqlite_path(parsed) if parsed.get_backend_name() == "sqlite" else None
    if path is not None and not path.expanduser().exists():
        return None
    engine = make_engine(parsed)
    try:
        with engine.connect() as conn:
            current = revisions_of(conn)
    except DBAPIError as exc:
        raise ConfigError(f"cannot read the app database {describe_url(url)}: {exc.orig}", field="app_db_url") from exc
    finally:
        engine.dispose()
    if len(current) > 1:  # pragma: no cover - the revision history is linear
        raise ConfigError(f"app database {describe_url(url)} has several heads: {', '.join(current)}")
    return current[0] if current else None


def _refuse_unknown(current: tuple[str, ...], where: str) -> None:
    known = set(known_revisions())
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        raise ConfigError(
            f"the app database {where} is at revision {', '.join(unknown)}, which this version of GrowthOS "
            f"does not know (newest known: {head_revision()}); it was probably migrated by a newer GrowthOS. "
            "Upgrade GrowthOS, or point GROWTHOS_APP_DB_URL at another database.",
            field="app_db_url",
        )
