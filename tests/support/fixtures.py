"""Pytest fixtures for the app database on every backend.

- ``postgres_server`` (session): the shared throw-away PostgreSQL server (support/postgres.py).
  Binaries missing: skipped with the reason, but FAILS under CI=true (a CI run must never skip silently).
- ``postgres_url`` (session): URL of a database created once per session.
- ``fresh_postgres_url``: URL of a new, empty database for one test (dropped afterwards).
- ``app_db_url``: parametrised over ``sqlite`` (a file in tmp_path) and ``postgresql`` (a fresh
  database); the postgresql case carries the ``postgres`` marker (``-m "not postgres"`` skips it).
- ``app_store``: an ``AppStore`` opened (and migrated) on ``app_db_url``, closed after the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from growthos.store import AppStore
from support.postgres import PostgresServer, PostgresUnavailable, acquire_server, release_server

APP_DB_BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql",
                                                                       marks=pytest.mark.postgres)]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = acquire_server()
    except PostgresUnavailable as exc:
        if _in_ci():
            pytest.fail(f"CI=true but PostgreSQL cannot be started: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    try:
        yield server
    finally:
        release_server()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.url()


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


@pytest.fixture(params=APP_DB_BACKENDS)
def app_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app-db' / 'app.db'}"
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def app_store(app_db_url: str) -> Iterator[AppStore]:
    store = AppStore.open(app_db_url)
    yield store
    store.close()
