"""SQLAlchemy engines for the app database: URL checks, SQLite pragmas, transaction helpers.

SQLite is set up so that the server and a CLI process can share one file: write-ahead logging (readers
never block the writer), a busy timeout (a second writer waits instead of failing with "database is
locked"), foreign keys on. SQLAlchemy emits BEGIN itself (the sqlite3 driver's legacy mode would not,
so DDL and reads would escape transactions); writes begin with ``BEGIN IMMEDIATE``, which takes the
write lock up front, where the busy timeout applies, instead of failing on a late lock upgrade.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from growthos.core.errors import ConfigError

SQLITE_BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for another process's write lock before giving up."""

BEGIN_MODE_OPTION = "growthos_sqlite_begin"
"""Connection execution option naming the SQLite BEGIN mode (DEFERRED, IMMEDIATE)."""

SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def parse_url(url: str | URL) -> URL:
    """The URL as SQLAlchemy's URL object, with PostgreSQL pointed at psycopg 3 when no driver is named."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"app database URL {str(url)!r} is not a valid SQLAlchemy URL", field="app_db_url") from exc
    backend = parsed.get_backend_name()
    if backend == "postgres":  # the Heroku-style spelling
        parsed = parsed.set(drivername="postgresql")
        backend = "postgresql"
    if backend not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"app database backend {backend!r} is not supported (use sqlite or postgresql)", field="app_db_url"
        )
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def describe_url(url: str | URL) -> str:
    """The URL with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str | URL) -> Engine:
    """An engine for the app database; creates the parent directory of a SQLite file."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> Engine:
    path = sqlite_path(url)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    if path is None:
        # One shared connection, or every pooled connection would see its own empty database.
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    else:
        path.expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN, see _on_begin
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_MODE_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it holds the write lock from its first statement."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that only reads (one consistent snapshot on both backends)."""
    with engine.connect() as conn, conn.begin():
        yield conn
