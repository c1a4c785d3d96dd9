"""Migrations on both backends: created at head, idempotent, schema.py agrees, newer databases refused."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from growthos.config import load_settings
from growthos.core.errors import ConfigError, RetryableError
from growthos.store import AppStore
from growthos.store.engine import make_engine
from growthos.store.migrate import current_revision, head_revision, known_revisions, upgrade
from growthos.store.schema import metadata


def test_open_creates_tables_at_head(app_db_url: str) -> None:
    assert current_revision(app_db_url) is None
    with AppStore.open(app_db_url) as store:
        tables = set(inspect(store.engine).get_table_names())
    assert {"alembic_version", "job_runs", "check_results", "api_keys", "sessions"} <= tables
    revisions = known_revisions()
    assert revisions == [f"{i:04d}" for i in range(1, len(revisions) + 1)]  # a straight line of revisions
    assert current_revision(app_db_url) == head_revision() == revisions[-1]


def test_open_twice_is_a_no_op_and_keeps_data(app_db_url: str) -> None:
    with AppStore.open(app_db_url) as store:
        job_id = store.start_job("build")
    with AppStore.open(app_db_url) as store:
        assert [j.id for j in store.list_jobs()] == [job_id]
    assert upgrade(app_db_url) == head_revision()
    assert current_revision(app_db_url) == head_revision()


def test_upgrade_function_creates_and_migrates(app_db_url: str) -> None:
    assert upgrade(app_db_url) == head_revision()
    assert current_revision(app_db_url) == head_revision()


def test_schema_module_matches_the_migrations(app_db_url: str) -> None:
    upgrade(app_db_url)
    engine = make_engine(app_db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_database_from_a_newer_growthos_is_refused(app_db_url: str) -> None:
    upgrade(app_db_url)
    engine = make_engine(app_db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999_from_the_future'"))
    engine.dispose()
    with pytest.raises(ConfigError, match="0999_from_the_future") as exc:
        AppStore.open(app_db_url)
    assert "newer GrowthOS" in str(exc.value) and exc.value.field == "app_db_url"
    with pytest.raises(ConfigError, match="0999_from_the_future"):
        upgrade(app_db_url)
    assert current_revision(app_db_url) == "0999_from_the_future"  # untouched


def test_foreign_keys_are_enforced(app_store: AppStore) -> None:
    with pytest.raises(IntegrityError), app_store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO check_results (job_id, position, name, status, detail, description, checked_at) "
            "VALUES (12345, 0, 'x', 'pass', '', '', '2026-01-01 00:00:00')"
        ))


def test_status_check_constraint(app_store: AppStore) -> None:
    with pytest.raises(IntegrityError), app_store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO job_runs (kind, status, started_at, params, rows, stats) "
            "VALUES ('build', 'exploded', '2026-01-01 00:00:00', '{}', '{}', '{}')"
        ))


def test_ping(app_store: AppStore) -> None:
    app_store.ping()
    assert app_store.backend in ("sqlite", "postgresql")


def test_from_settings_uses_the_data_dir(tmp_path) -> None:
    settings = load_settings(data_dir=tmp_path / "workspace" / "data")
    with AppStore.from_settings(settings) as store:
        store.start_job("build")
        assert store.backend == "sqlite"
    assert (tmp_path / "workspace" / "data" / "app.db").is_file()


@pytest.mark.postgres
def test_from_settings_honours_app_db_url(tmp_path, fresh_postgres_url: str) -> None:
    settings = load_settings(data_dir=tmp_path / "data", app_db_url=fresh_postgres_url)
    with AppStore.from_settings(settings) as store:
        assert store.backend == "postgresql"
    assert (tmp_path / "data").is_dir()
    assert current_revision(fresh_postgres_url) == head_revision()


def test_current_revision_does_not_create_a_sqlite_file(tmp_path) -> None:
    path = tmp_path / "nowhere" / "app.db"
    assert current_revision(f"sqlite:///{path}") is None
    assert not path.parent.exists()


def test_in_memory_sqlite_works(tmp_path) -> None:
    with AppStore.open("sqlite://") as store:
        job_id = store.start_job("build")
        store.finish_job(job_id, "succeeded")
        assert store.get_job(job_id).status == "succeeded"


def test_sqlite_pragmas(tmp_path) -> None:
    with AppStore.open(f"sqlite:///{tmp_path / 'app.db'}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a valid SQLAlchemy URL"),
        ("mysql://u@localhost/db", "not supported"),
    ],
)
def test_bad_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        AppStore.open(url)
    assert exc.value.field == "app_db_url"


@pytest.mark.postgres
def test_unreachable_postgres(postgres_server) -> None:
    # A port nothing listens on: the server's own port + 1 is not guaranteed free, so find one.
    from support.postgres import _free_port

    url = f"postgresql://nobody:secret@127.0.0.1:{_free_port()}/app"
    with pytest.raises(ConfigError, match="cannot migrate the app database") as exc:
        AppStore.open(url)
    assert "secret" not in str(exc.value)
    store = AppStore(make_engine(url))
    with pytest.raises(RetryableError, match="unreachable"):
        store.ping()
    store.close()


def test_plain_postgresql_urls_use_psycopg() -> None:
    engine = make_engine("postgresql://u@127.0.0.1:1/db")
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()
